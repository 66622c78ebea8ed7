/**
 * The latest metric points runs/search reported for one run, kept small while every listed run
 * waits for the read-ahead plan (history-prefetch.ts): a Map of point objects costs about 750
 * bytes per run of five metrics; here the runs of a project share one array of key names per
 * distinct key set, and the points are one flat array of numbers (about 200 bytes).
 */
import type { Int64, MetricPoint } from '../../model/run.js';
import { ownString } from './own-strings.js';

export class LatestPoints {
  private constructor(
    private readonly names: readonly string[],
    /** value, timestamp, step of each key, in the order of `names`. */
    private readonly numbers: ReadonlyArray<number | Int64>,
  ) {}

  keys(): IterableIterator<string> {
    return this.names.values();
  }

  get(key: string): MetricPoint | undefined {
    const index = this.names.indexOf(key);
    if (index < 0) return undefined;
    return { value: this.numbers[3 * index] as number, timestamp: this.numbers[3 * index + 1] as number, step: this.numbers[3 * index + 2]! };
  }

  /** One per project: equal key lists are kept once. */
  static packer(): (latest: ReadonlyMap<string, MetricPoint>) => LatestPoints {
    const keySets = new Map<string, readonly string[]>();
    return (latest) => {
      const names = [...latest.keys()];
      const id = names.join('\u0000');
      let shared = keySets.get(id);
      if (!shared) {
        shared = names.map(ownString);
        keySets.set(id, shared);
      }
      const numbers: Array<number | Int64> = [];
      for (const point of latest.values()) numbers.push(point.value, point.timestamp, point.step);
      return new LatestPoints(shared, numbers);
    };
  }
}
