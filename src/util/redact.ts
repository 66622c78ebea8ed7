/**
 * Belt and braces for DESIGN "credentials never appear in a location, a log line, a report or an
 * error message": every string the CLI shows or writes passes through a redactor that replaces each
 * secret in use with `***`, whatever code path let it through.
 */
export type Redactor = (text: string) => string;

export const REDACTED = '***';

/**
 * Replaces every non-empty secret, and the forms it takes inside a URL or a JSON string, with
 * `***`. Longer secrets go first so that a secret containing another is removed whole.
 */
export function createRedactor(secrets: Iterable<string | undefined>): Redactor {
  const needles = new Set<string>();
  for (const secret of secrets) {
    if (secret === undefined || secret === '') continue;
    needles.add(secret);
    needles.add(encodeURIComponent(secret));
    needles.add(JSON.stringify(secret).slice(1, -1));
  }
  const ordered = [...needles].filter((needle) => needle !== '').sort((a, b) => b.length - a.length);
  if (ordered.length === 0) return (text) => text;
  return (text) => {
    let out = text;
    for (const needle of ordered) {
      if (out.includes(needle)) out = out.split(needle).join(REDACTED);
    }
    return out;
  };
}
