/**
 * One JSON request to a stand-in, for tests that check its behaviour route by route: the answer's
 * status, its body parsed when it is JSON (else the text), and the raw text.
 */
export interface StandinAnswer {
  status: number;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  body: any;
  text: string;
}

export async function standinRequest(baseUrl: string, method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<StandinAnswer> {
  const res = await fetch(baseUrl + path, {
    method,
    headers: body === undefined ? headers : { 'Content-Type': 'application/json', ...headers },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  let parsed: unknown;
  try {
    parsed = text ? JSON.parse(text) : undefined;
  } catch {
    parsed = text;
  }
  return { status: res.status, body: parsed, text };
}
