/**
 * The rules of trace -> prompt links (src/engine/traces/prompt-links.ts): how the copy's tags
 * name the copied versions, what is kept in old_sys/linked_prompts, and what verify calls a difference.
 */
import { describe, expect, it } from 'vitest';
import { comparePromptLinkTags, formatPromptRefs, mapLinkedPromptTags, NO_PROMPT_COPY, parsePromptRefs, promptVersionMap, type PromptLinkPlan } from '../../src/engine/traces/prompt-links.js';

const plan = (versions: Record<string, string>, associations: Record<string, Array<{ name: string; version: string }>> = {}): PromptLinkPlan => ({
  versions: new Map(Object.entries(versions)),
  associations: new Map(Object.entries(associations)),
  whyNotCopied: 'not copied here',
});

describe('trace -> prompt links', () => {
  it('reads the tag as MLflow writes it (version a string, or a number) and writes it back the same way', () => {
    expect(parsePromptRefs('[{"name": "qa", "version": "1"}, {"name": "b", "version": 2}]')).toEqual([
      { name: 'qa', version: '1' },
      { name: 'b', version: '2' },
    ]);
    expect(parsePromptRefs('not json')).toEqual([]);
    expect(formatPromptRefs([{ name: 'qa', version: '1' }])).toBe('[{"name": "qa", "version": "1"}]');
  });

  it('maps the prompt copy results: copied and already-there versions, not failed ones', () => {
    const map = promptVersionMap([
      {
        name: 'qa', outcome: 'created', issues: [], aliases: [],
        versions: [
          { sourceVersion: '1', targetVersion: '1', outcome: 'skipped' },
          { sourceVersion: '2', targetVersion: '3', outcome: 'copied' },
          { sourceVersion: '4', targetVersion: '4', outcome: 'failed' },
        ],
      },
    ]);
    expect([...map]).toEqual([['qa/1', '1'], ['qa/2', '3']]);
  });

  it('the copy names the target versions; the ones not copied go to old_sys/linked_prompts, with a note', () => {
    const tags = { 'mlflow.linkedPrompts': '[{"name": "qa", "version": "2"}, {"name": "gone", "version": "1"}]', other: 'x' };
    const notes: string[] = [];
    mapLinkedPromptTags(tags, 'tr-1', plan({ 'qa/2': '3' }), notes);
    expect(tags).toEqual({
      'mlflow.linkedPrompts': '[{"name": "qa", "version": "3"}]',
      'old_sys/linked_prompts': '[{"name": "gone", "version": "1"}]',
      other: 'x',
    });
    expect(notes).toEqual(['prompt link(s) gone/1: not copied here; kept in old_sys/linked_prompts, not linked']);
  });

  it('without a prompt copy, the tag moves to old_sys/linked_prompts whole; an association-only link is kept there too', () => {
    const tags: Record<string, string> = { 'mlflow.linkedPrompts': '[{"name": "qa", "version": "1"}]' };
    mapLinkedPromptTags(tags, 'tr-1', NO_PROMPT_COPY, []);
    expect(tags).toEqual({ 'old_sys/linked_prompts': '[{"name": "qa", "version": "1"}]' });
    const bare: Record<string, string> = {};
    mapLinkedPromptTags(bare, 'tr-2', plan({}, { 'tr-2': [{ name: 'assoc', version: '4' }] }), []);
    expect(bare).toEqual({ 'old_sys/linked_prompts': '[{"name": "assoc", "version": "4"}]' });
  });

  it('an unreadable tag is kept as it is', () => {
    const tags = { 'mlflow.linkedPrompts': 'garbled' };
    mapLinkedPromptTags(tags, 'tr-1', plan({}), []);
    expect(tags).toEqual({ 'mlflow.linkedPrompts': 'garbled' });
  });

  it('verify: each source link is linked or kept in old_sys, and the copy names nothing else', () => {
    const source = { 'mlflow.linkedPrompts': '[{"name": "qa", "version": "1"}, {"name": "gone", "version": "1"}]' };
    expect(comparePromptLinkTags(source, { 'mlflow.linkedPrompts': '[{"name":"qa","version":"1"}]', 'old_sys/linked_prompts': '[{"name": "gone", "version": "1"}]' })).toEqual([]);
    expect(comparePromptLinkTags(source, { 'mlflow.linkedPrompts': '[{"name": "qa", "version": "1"}, {"name": "extra", "version": "9"}]' })).toEqual([
      'prompt link gone/1: in the source\'s mlflow.linkedPrompts, neither linked nor kept in old_sys/linked_prompts in the copy',
      'prompt link extra/9: in the copy\'s mlflow.linkedPrompts, not in the source\'s',
    ]);
    expect(comparePromptLinkTags({}, {})).toEqual([]);
  });
});
