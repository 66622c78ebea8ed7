/**
 * Where each item of a top-level array field lies in a JSON answer's text: for runs/search, the
 * text of each run exactly as the server sent it. A listing digests that text for the run's state
 * token and keeps it in its spool, instead of serialising the parsed run again (which cost more
 * than parsing it). One pass over the text; strings are skipped with indexOf.
 */

/**
 * [start, end) of each object item of the array under `key` of the top-level object, or undefined
 * when the text does not have that shape (the caller then serialises the parsed items).
 */
export function arrayItemSpans(text: string, key: string): Array<[number, number]> | undefined {
  const wanted = JSON.stringify(key);
  const spans: Array<[number, number]> = [];
  let depth = 0;
  let lastString = ''; // the last string seen in the top-level object (a key, once ':' follows)
  let pendingKey = '';
  let inArray = false;
  let itemStart = -1;
  let i = 0;
  const n = text.length;
  while (i < n) {
    const c = text.charCodeAt(i);
    if (c === 34) {
      const start = i;
      let end = i + 1;
      for (;;) {
        end = text.indexOf('"', end);
        if (end < 0) return undefined;
        let backslashes = 0;
        while (text.charCodeAt(end - 1 - backslashes) === 92) backslashes++;
        if (backslashes % 2 === 0) break;
        end++;
      }
      if (depth === 1) lastString = text.slice(start, end + 1);
      i = end + 1;
      continue;
    }
    if (c === 58 && depth === 1) {
      pendingKey = lastString;
    } else if (c === 123 || c === 91) {
      depth++;
      if (depth === 2) inArray = c === 91 && pendingKey === wanted;
      else if (depth === 3 && inArray) {
        if (c !== 123) return undefined;
        itemStart = i;
      }
    } else if (c === 125 || c === 93) {
      if (depth === 3 && inArray) spans.push([itemStart, i + 1]);
      if (depth === 2) inArray = false;
      depth--;
      if (depth < 0) return undefined;
    }
    i++;
  }
  return depth === 0 ? spans : undefined;
}
