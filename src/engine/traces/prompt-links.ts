/**
 * Trace -> prompt version links (recorded: prompts-links). A trace names the prompt versions it
 * used in two ways, and the copy keeps both:
 *
 * - the tag `mlflow.linkedPrompts` (a JSON list of {"name", "version"}, written by the client):
 *   the copy's tag names the TARGET versions of the prompts the prompt copy copied (numbers are
 *   kept unless the target had them taken); versions not copied (no --registry, or the prompt
 *   copy did not copy them) are taken out of it, kept in `old_sys/linked_prompts` and reported;
 * - the association made by `traces/link-prompts`, which does not show on the trace (only the
 *   search filter `prompt = 'name/version'` finds it): after the trace copy the target is asked
 *   which of its traces each target version is linked to (one search per version), and only the
 *   missing links are made. So a re-run links nothing twice, and a link that failed (or a crash
 *   between the trace and its link) is made by the next copy even though the trace is skipped.
 *
 * A store that cannot hold the association (no TracePromptLinks ability) keeps the tag; the
 * trace's notes say so.
 */
import type { PromptResult } from '../prompts/copy-prompts.js';
import { errorMessage } from '../../util/errors.js';
import type { TraceResult } from './types.js';

export const LINKED_PROMPTS_TAG = 'mlflow.linkedPrompts';
export const OLD_LINKED_PROMPTS_TAG = 'old_sys/linked_prompts';

export interface PromptRef {
  name: string;
  version: string;
}

const key = (ref: PromptRef) => `${ref.name}/${ref.version}`;

/** The optional ability of a project object (source or target) to read and make the associations. */
export interface TracePromptLinks {
  /**
   * Ids of this experiment's traces linked (traces/link-prompts) to the prompt version;
   * undefined when the store turns out to hold no such links at all (e.g. an older schema).
   */
  tracesLinkedToPrompt(name: string, version: string): Promise<Set<string> | undefined>;
  /** Links one trace to prompt versions (idempotent where recorded). Target side only. */
  linkPromptsToTrace?(traceId: string, versions: PromptRef[]): Promise<void>;
}

export function tracePromptLinksOf(project: object | undefined): TracePromptLinks | undefined {
  const p = project as Partial<TracePromptLinks> | undefined;
  return p && typeof p.tracesLinkedToPrompt === 'function' ? (p as TracePromptLinks) : undefined;
}

/** The refs of a `mlflow.linkedPrompts` value (version as a string, as MLflow writes it); anything unreadable names nothing. */
export function parsePromptRefs(value: string | undefined): PromptRef[] {
  if (!value) return [];
  try {
    const parsed: unknown = JSON.parse(value);
    if (!Array.isArray(parsed)) return [];
    return parsed.flatMap((item) => {
      const { name, version } = (item ?? {}) as { name?: unknown; version?: unknown };
      return typeof name === 'string' && (typeof version === 'string' || typeof version === 'number') ? [{ name, version: String(version) }] : [];
    });
  } catch {
    return [];
  }
}

/** MLflow's own spelling: json.dumps of a list of {"name", "version"}. */
export function formatPromptRefs(refs: readonly PromptRef[]): string {
  return `[${refs.map((r) => `{"name": ${JSON.stringify(r.name)}, "version": ${JSON.stringify(r.version)}}`).join(', ')}]`;
}

function union(a: readonly PromptRef[], b: readonly PromptRef[]): PromptRef[] {
  const seen = new Map<string, PromptRef>();
  for (const ref of [...a, ...b]) if (!seen.has(key(ref))) seen.set(key(ref), ref);
  return [...seen.values()];
}

/** What the trace copy needs to carry links over. */
export interface PromptLinkPlan {
  /** "name/sourceVersion" -> target version, for every prompt version the prompt copy copied or found. */
  versions: ReadonlyMap<string, string>;
  /** Source trace id -> the prompt versions traces/link-prompts linked it to. */
  associations: ReadonlyMap<string, PromptRef[]>;
  /** Why a version is missing from `versions` when no prompt was copied at all (e.g. no --registry). */
  whyNotCopied: string;
}

/** No prompt was copied (no --registry): every link is reported and kept under old_sys. */
export const NO_PROMPT_COPY: PromptLinkPlan = {
  versions: new Map(),
  associations: new Map(),
  whyNotCopied: 'prompts are copied only with --registry',
};

/** The prompt copy's results as "name/sourceVersion" -> target version. */
export function promptVersionMap(prompts: readonly PromptResult[] | undefined): Map<string, string> {
  const map = new Map<string, string>();
  for (const prompt of prompts ?? []) {
    for (const v of prompt.versions) {
      if (v.targetVersion !== undefined && v.outcome !== 'failed') map.set(`${prompt.name}/${v.sourceVersion}`, v.targetVersion);
    }
  }
  return map;
}

/** The source versions a trace links to (tag and associations), split into copied (with target versions) and not. */
export function traceLinks(tags: Record<string, string>, sourceTraceId: string, plan: PromptLinkPlan): { tagRefs: PromptRef[]; linked: PromptRef[]; missing: PromptRef[] } {
  const tagRefs = parsePromptRefs(tags[LINKED_PROMPTS_TAG]);
  const all = union(tagRefs, plan.associations.get(sourceTraceId) ?? []);
  const linked: PromptRef[] = [];
  const missing: PromptRef[] = [];
  for (const ref of all) {
    const target = plan.versions.get(key(ref));
    if (target !== undefined) linked.push({ name: ref.name, version: target });
    else missing.push(ref);
  }
  return { tagRefs, linked, missing };
}

/**
 * The copy's tags: `mlflow.linkedPrompts` names the target versions of the copied ones; the
 * source refs not copied go to old_sys/linked_prompts. Notes say what was not linked and why.
 */
export function mapLinkedPromptTags(tags: Record<string, string>, sourceTraceId: string, plan: PromptLinkPlan, notes: string[]): void {
  const { tagRefs, missing } = traceLinks(tags, sourceTraceId, plan);
  const original = tags[LINKED_PROMPTS_TAG];
  if (original !== undefined) {
    const copied = tagRefs.flatMap((ref) => {
      const target = plan.versions.get(key(ref));
      return target !== undefined ? [{ name: ref.name, version: target }] : [];
    });
    if (copied.length > 0) tags[LINKED_PROMPTS_TAG] = formatPromptRefs(copied);
    else delete tags[LINKED_PROMPTS_TAG];
    // Unreadable text is kept as it was: nothing is dropped that could not be read.
    if (tagRefs.length === 0) tags[LINKED_PROMPTS_TAG] = original;
  }
  if (missing.length > 0) {
    tags[OLD_LINKED_PROMPTS_TAG] = formatPromptRefs(missing);
    notes.push(`prompt link(s) ${missing.map(key).join(', ')}: ${plan.whyNotCopied}; kept in ${OLD_LINKED_PROMPTS_TAG}, not linked`);
  }
}

/**
 * After the trace copy: makes the target's traces/link-prompts associations that are missing,
 * for copied and skipped traces alike. Results whose links could not be made become failed (the
 * trace is there; the next copy makes the links).
 */
export async function linkCopiedTraces(results: readonly TraceResult[], target: object | undefined, dryRun: boolean): Promise<void> {
  const wanted = results.filter((r) => r.targetTraceId && r.promptLinks && r.promptLinks.length > 0 && (r.outcome === 'copied' || r.outcome === 'skipped'));
  if (wanted.length === 0 || dryRun) return;
  const links = tracePromptLinksOf(target);
  if (!links?.linkPromptsToTrace) {
    for (const r of wanted) r.notes.push(`prompt links ${r.promptLinks!.join(', ')}: the target store cannot hold trace-to-prompt links (traces/link-prompts); the tag ${LINKED_PROMPTS_TAG} is copied`);
    return;
  }
  // One search per target version: which copies are linked already.
  const linkedAlready = new Map<string, Set<string>>();
  const fail = (r: TraceResult, why: string) => {
    r.outcome = 'failed';
    r.reason = `${r.reason ? `${r.reason}; ` : ''}${why} (the trace is copied; the next copy makes the links)`;
  };
  for (const r of wanted) {
    const missing: PromptRef[] = [];
    try {
      for (const text of r.promptLinks!) {
        const slash = text.lastIndexOf('/');
        const ref = { name: text.slice(0, slash), version: text.slice(slash + 1) };
        let there = linkedAlready.get(text);
        if (!there) linkedAlready.set(text, (there = (await links.tracesLinkedToPrompt(ref.name, ref.version)) ?? new Set()));
        if (!there.has(r.targetTraceId!)) missing.push(ref);
      }
      if (missing.length === 0) continue;
      await links.linkPromptsToTrace(r.targetTraceId!, missing);
      for (const ref of missing) linkedAlready.get(key(ref))?.add(r.targetTraceId!);
      r.notes.push(`linked to prompt version(s) ${missing.map(key).join(', ')}`);
    } catch (error) {
      fail(r, `linking the copy to its prompt versions failed: ${errorMessage(error)}`);
    }
  }
}

/**
 * Source side: which source traces each of these prompt versions is linked to
 * (traces/link-prompts), as source trace id -> refs. One search per version.
 */
export async function sourceAssociations(source: object | undefined, versions: readonly PromptRef[]): Promise<Map<string, PromptRef[]>> {
  const links = tracePromptLinksOf(source);
  const byTrace = new Map<string, PromptRef[]>();
  if (!links) return byTrace;
  for (const ref of versions) {
    for (const traceId of (await links.tracesLinkedToPrompt(ref.name, ref.version)) ?? []) {
      const list = byTrace.get(traceId) ?? [];
      list.push(ref);
      byTrace.set(traceId, list);
    }
  }
  return byTrace;
}

/**
 * verify: every version the source's tag names is named by the copy's tag or kept in its
 * old_sys/linked_prompts, and the copy names nothing else. Compared by name and number (a
 * version the target numbered otherwise shows as a difference). Unreadable text is compared as text.
 */
export function comparePromptLinkTags(source: Record<string, string>, copy: Record<string, string>): string[] {
  const text = source[LINKED_PROMPTS_TAG];
  const refs = parsePromptRefs(text);
  if (text !== undefined && refs.length === 0) {
    return text === copy[LINKED_PROMPTS_TAG] ? [] : [`tag ${LINKED_PROMPTS_TAG}: ${JSON.stringify(text)} in the source, ${JSON.stringify(copy[LINKED_PROMPTS_TAG])} in the copy`];
  }
  const want = new Set(refs.map(key));
  const got = new Set([...parsePromptRefs(copy[LINKED_PROMPTS_TAG]), ...parsePromptRefs(copy[OLD_LINKED_PROMPTS_TAG])].map(key));
  const differences: string[] = [];
  for (const k of want) if (!got.has(k)) differences.push(`prompt link ${k}: in the source's ${LINKED_PROMPTS_TAG}, neither linked nor kept in ${OLD_LINKED_PROMPTS_TAG} in the copy`);
  for (const k of parsePromptRefs(copy[LINKED_PROMPTS_TAG]).map(key)) if (!want.has(k)) differences.push(`prompt link ${k}: in the copy's ${LINKED_PROMPTS_TAG}, not in the source's`);
  return differences;
}

/** A verified trace whose source tag names prompt versions, with its one complete copy. */
export interface LinkedTracePair {
  sourceTraceId: string;
  targetTraceId: string;
  refs: PromptRef[];
  /** The verify row: its differences and status are updated. */
  result: { status: string; differences: string[] };
}

/**
 * verify --registry: for the versions the source traces' tags name, whether each copy is linked
 * (traces/link-prompts) exactly when its source is. One search (or query) per version on each
 * side. A version is looked up by the same number on both sides. A target without the ability,
 * or holding no links at all, is not compared (the copy reported that it could not make them).
 */
export async function verifyPromptAssociations(source: object, target: object, pairs: readonly LinkedTracePair[]): Promise<void> {
  const from = tracePromptLinksOf(source);
  const to = tracePromptLinksOf(target);
  if (!from || !to || pairs.length === 0) return;
  const sourceLinked = new Map<string, Set<string>>();
  const targetLinked = new Map<string, Set<string> | undefined>();
  for (const pair of pairs) {
    for (const ref of pair.refs) {
      const k = key(ref);
      try {
        if (!sourceLinked.has(k)) sourceLinked.set(k, (await from.tracesLinkedToPrompt(ref.name, ref.version)) ?? new Set());
        if (!targetLinked.has(k)) targetLinked.set(k, await to.tracesLinkedToPrompt(ref.name, ref.version));
      } catch (error) {
        pair.result.status = 'error';
        pair.result.differences.push(`not compared: the traces linked to prompt version ${k}: ${errorMessage(error)}`);
        continue;
      }
      const there = targetLinked.get(k);
      // A target that holds no links at all: the copy reported that it could not make them.
      if (!there) continue;
      const inSource = sourceLinked.get(k)!.has(pair.sourceTraceId);
      const inCopy = there.has(pair.targetTraceId);
      if (inSource !== inCopy) {
        if (pair.result.status === 'ok') pair.result.status = 'different';
        pair.result.differences.push(`prompt link ${k} (traces/link-prompts): ${inSource ? 'linked in the source, not in the copy' : 'linked in the copy, not in the source'}`);
      }
    }
  }
}
