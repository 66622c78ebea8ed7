/**
 * The stand-in's artifact proxy refuses a path component over 255 bytes the way the real server
 * does: MLflow's upload handler writes the file into a local directory, the file system raises
 * ENAMETOOLONG (an OSError, not an MLflow error) and Flask answers its HTML 500 page.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startStandin, type StandinServer } from '../support/mlflow-standin/index.js';

describe('artifact proxy and over-long names', () => {
  let server: StandinServer;
  beforeAll(async () => {
    server = await startStandin();
  });
  afterAll(() => server.close());

  const put = (path: string) =>
    fetch(`${server.url}/api/2.0/mlflow-artifacts/artifacts/1/${'a'.repeat(32)}/artifacts/${path}`, { method: 'PUT', body: 'x' });

  it('answers 500 with the HTML error page for a file name or a folder name over 255 bytes', async () => {
    for (const path of [`${'n'.repeat(256)}.txt`, `${'d'.repeat(300)}/f.txt`, `${'é'.repeat(128)}/f.txt`]) {
      const response = await put(encodeURI(path));
      expect(response.status, path).toBe(500);
      expect(response.headers.get('content-type')).toBe('text/html; charset=utf-8');
      expect(await response.text()).toContain('<title>500 Internal Server Error</title>');
    }
  });

  it('takes a name of exactly 255 bytes', async () => {
    const response = await put(`${'n'.repeat(251)}.txt`);
    expect(response.status).toBe(200);
  });
});
