/**
 * traces/search filters and ordering (recorded: traces-search, traces-tags-links-delete,
 * assessments-create-get). Filter clauses joined by AND:
 *   tags.<key> / tag.<key>, metadata.<key> / request_metadata.<key>,
 *   [trace.]status | state | timestamp_ms | timestamp | execution_time_ms | name | run_id |
 *   client_request_id | request_id | trace_id, feedback.<name>, expectation.<name>,
 *   span.name | span.type | span.status | span.attributes.<key>.
 * `name` is the mlflow.traceName tag; `run_id` matches the mlflow.sourceRun metadata or a
 * link-to-run; feedback/expectation compare the JSON text of the stored value.
 * `prompt = '<name>/<version>'` (recorded: prompts-links) matches the links made by
 * traces/link-prompts, never the mlflow.linkedPrompts tag, and needs no such prompt to exist.
 * Only `=` is taken for `prompt` (not recorded: any other comparator is a 400 here).
 */
import type { Assessment } from './assessment-model.js';
import { invalidParam } from './errors.js';
import { pyLoads } from './pyvalue.js';
import { type Clause, compareVals, lex, matches, type Tok } from './search.js';
import { SPAN_TYPE_ATTR } from './spans.js';
import { SOURCE_RUN_KEY, TRACE_NAME_TAG, type Trace } from './trace-store.js';

type Field =
  | { kind: 'tag' | 'metadata' | 'feedback' | 'expectation'; key: string }
  | { kind: 'prompt'; key: '' }
  | { kind: 'attr'; key: string }
  | { kind: 'span'; key: string };

interface TraceClause {
  field: Field;
  op: string;
  value: string | number | string[];
}

/** The bare filter key that selects traces by their prompt-version links. */
const PROMPT_KEY = 'prompt';

const ATTRS = new Set(['status', 'state', 'timestamp_ms', 'timestamp', 'execution_time_ms', 'name', 'run_id', 'client_request_id', 'request_id', 'trace_id']);
const PREFIX: Record<string, Field['kind']> = {
  tags: 'tag',
  tag: 'tag',
  metadata: 'metadata',
  request_metadata: 'metadata',
  feedback: 'feedback',
  expectation: 'expectation',
  span: 'span',
  trace: 'attr',
  attributes: 'attr',
  attribute: 'attr',
};

function parseField(left: Tok[], filter: string): Field {
  const bad = () => invalidParam(`Invalid filter '${filter}'. Could not be parsed.`);
  const first = left[0];
  if (!first || first.t !== 'word') throw bad();
  let prefix: string | undefined;
  let key: string;
  if (left.length === 1) {
    const dot = first.v.indexOf('.');
    if (dot < 0) key = first.v;
    else {
      prefix = first.v.slice(0, dot);
      key = first.v.slice(dot + 1);
    }
  } else if (left.length === 2 && first.v.endsWith('.') && left[1]!.t === 'str') {
    prefix = first.v.slice(0, -1);
    key = String(left[1]!.v);
  } else throw bad();
  if (prefix === undefined && key === PROMPT_KEY) return { kind: 'prompt', key: '' };
  if (prefix === undefined || PREFIX[prefix] === 'attr') {
    if (!ATTRS.has(key)) throw invalidParam(`Invalid attribute key '${key}' specified. Valid keys are '${[...ATTRS].join("', '")}'`);
    return { kind: 'attr', key };
  }
  const kind = PREFIX[prefix];
  if (!kind) throw invalidParam(`Invalid entity type '${prefix}'. Valid values are ['tag', 'metadata', 'attribute', 'span', 'feedback', 'expectation']`);
  if (kind === 'span' && !['name', 'status', 'type'].includes(key) && !key.startsWith('attributes.'))
    throw invalidParam(`Invalid span attribute '${key}'. Supported attributes: name, status, type, attributes.<attribute_name>.`);
  return { kind, key } as Field;
}

export function parseTraceFilter(filter: string | undefined): TraceClause[] {
  if (!filter || !filter.trim()) return [];
  const parts: Tok[][] = [[]];
  for (const t of lex(filter)) {
    if (t.t === 'word' && t.v.toUpperCase() === 'AND') parts.push([]);
    else parts[parts.length - 1]!.push(t);
  }
  return parts.map((part) => {
    let k = part.findIndex((t) => t.t === 'op' || (t.t === 'word' && ['LIKE', 'ILIKE', 'IN', 'NOT'].includes(t.v.toUpperCase())));
    if (k <= 0) throw invalidParam(`Invalid filter '${filter}'. Could not be parsed.`);
    const field = parseField(part.slice(0, k), filter);
    let op = String(part[k]!.v).toUpperCase();
    k++;
    if (op === 'NOT') {
      op = `NOT ${String(part[k]?.v).toUpperCase()}`;
      k++;
    }
    const rest = part.slice(k);
    if (field.kind === 'prompt' && op !== '=')
      throw invalidParam(`Invalid comparator '${op}' for the prompt filter. Only '=' is supported, as in prompt = '<name>/<version>'.`);
    if (op === 'IN' || op === 'NOT IN') {
      const items = rest.slice(1, -1).filter((t) => t.v !== ',');
      if (rest[0]?.v !== '(' || rest[rest.length - 1]?.v !== ')' || items.some((t) => t.t !== 'str'))
        throw invalidParam(`Invalid filter '${filter}'. Could not be parsed.`);
      return { field, op, value: items.map((t) => String(t.v)) };
    }
    const v = rest[0];
    if (rest.length !== 1 || !v) throw invalidParam(`Invalid filter '${filter}'. Could not be parsed.`);
    if (v.t === 'word')
      throw invalidParam(`Parameter value is either not quoted or unidentified quote types used for string value ${v.raw}. Use either single or double quotes.`);
    if (v.t !== 'str' && v.t !== 'num') throw invalidParam(`Invalid filter '${filter}'. Could not be parsed.`);
    return { field, op, value: v.v as string | number };
  });
}

const asClause = (c: TraceClause): Clause => ({ type: 'attribute', key: '', op: c.op, value: c.value });

function assessmentValues(list: Assessment[], kind: 'feedback' | 'expectation', name: string): string[] {
  return list.filter((a) => a.kind === kind && a.name === name && a.valid).map((a) => a.serialized?.value ?? a.valueText ?? 'null');
}

function attrValues(t: Trace, key: string): Array<string | number | undefined> {
  switch (key) {
    case 'status':
    case 'state':
      return [t.state];
    case 'timestamp_ms':
    case 'timestamp':
      return [t.requestTimeMs];
    case 'execution_time_ms':
      return [t.durationMs];
    case 'name':
      return [t.tags.get(TRACE_NAME_TAG)];
    case 'run_id':
      return [t.metadata.get(SOURCE_RUN_KEY), ...t.linkedRuns];
    case 'client_request_id':
      return [t.clientRequestId];
    default:
      return [t.id];
  }
}

function spanValues(t: Trace, key: string): Array<string | undefined> {
  return [...t.spans.values()].map((s) => {
    if (key === 'name') return s.name;
    if (key === 'status') return s.statusCode.replace('STATUS_CODE_', '');
    const text = s.attributes.get(key === 'type' ? SPAN_TYPE_ATTR : key.slice('attributes.'.length));
    if (text === undefined) return undefined;
    const v = pyLoads(text);
    return typeof v === 'string' ? v : text;
  });
}

/** Whether a trace is linked (traces/link-prompts) to a prompt version given as "name/version". */
export type PromptLinkLookup = (traceId: string, nameSlashVersion: string) => boolean;

export function traceMatches(t: Trace, clauses: TraceClause[], linkedToPrompt: PromptLinkLookup = () => false): boolean {
  return clauses.every((c) => {
    let values: Array<string | number | undefined>;
    switch (c.field.kind) {
      case 'prompt':
        return typeof c.value === 'string' && linkedToPrompt(t.id, c.value);
      case 'tag':
        values = [t.tags.get(c.field.key)];
        break;
      case 'metadata':
        values = [t.metadata.get(c.field.key)];
        break;
      case 'feedback':
      case 'expectation':
        values = assessmentValues(t.assessments, c.field.kind, c.field.key);
        break;
      case 'span':
        values = spanValues(t, c.field.key);
        break;
      default:
        values = attrValues(t, c.field.key);
    }
    return values.some((v) => v !== undefined && matches(v, asClause(c)));
  });
}

/** order_by: "[trace.]timestamp_ms|execution_time_ms|status|name [ASC|DESC]"; default timestamp_ms DESC; ties by trace id. */
export function traceComparator(orderBy: string[]): (a: Trace, b: Trace) => number {
  const keys = orderBy.map((o) => {
    const m = /^\s*(?:trace\.|attributes?\.)?`?([a-z_]+)`?\s*(ASC|DESC)?\s*$/i.exec(o);
    if (!m) throw invalidParam(`Invalid order_by clause '${o}'. Could not be parsed.`);
    return { key: m[1]!.toLowerCase(), asc: (m[2] ?? 'ASC').toUpperCase() === 'ASC' };
  });
  if (keys.length === 0) keys.push({ key: 'timestamp_ms', asc: false });
  return (a, b) => {
    for (const { key, asc } of keys) {
      const r = compareVals(attrValues(a, key)[0], attrValues(b, key)[0], asc);
      if (r) return r;
    }
    return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
  };
}
