/**
 * Collects what a run's archive holds that could not be read as it is, one entry per field and
 * reason with a count, so a million rounded steps make one line in the report, not a million.
 */
import type { ReadIssue } from '../contract.js';

export class IssueLog {
  private readonly entries = new Map<string, { field: string; reason: string; count: number; example?: string }>();

  add(field: string, reason: string, example?: string): void {
    const key = `${field}\u0000${reason}`;
    const entry = this.entries.get(key);
    if (entry) entry.count++;
    else this.entries.set(key, { field, reason, count: 1, example });
  }

  push(issue: ReadIssue): void {
    this.add(issue.field, issue.reason);
  }

  list(): ReadIssue[] {
    return [...this.entries.values()].map(({ field, reason, count, example }) => {
      const notes: string[] = [];
      if (count > 1) notes.push(`${count} times`);
      if (example !== undefined) notes.push(`first: ${example}`);
      return { field, reason: notes.length > 0 ? `${reason} (${notes.join(', ')})` : reason };
    });
  }
}
