/**
 * GenAI rules of the MLflow stand-in that no golden case shows, taken from MLflow's source
 * (listed in the stand-in README under "assumed without a recording"):
 * - the traces/search `prompt` filter takes `=` only;
 * - under basic auth a scorer has its own permission (experiment id + name): whoever registers it
 *   gets MANAGE, everyone else the default READ, whatever their experiment permission; get and
 *   versions need READ on it, delete needs DELETE; any successful delete drops every permission
 *   on the scorer, even when only one version went.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { startStandin, type StandinServer } from '../support/mlflow-standin/index.js';
import { standinRequest } from '../support/standin-request.js';

const ADMIN_PASSWORD = 'unit-admin-Pass1';
const API2 = '/api/2.0/mlflow';
const API3 = '/api/3.0/mlflow';

let server: StandinServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

const basic = (user: string, password: string) => ({ Authorization: 'Basic ' + Buffer.from(`${user}:${password}`).toString('base64') });
const ADMIN = basic('admin', ADMIN_PASSWORD);

const send = (method: string, path: string, body?: unknown, headers: Record<string, string> = {}) => standinRequest(server!.url, method, path, body, headers);

const serialized = (name: string) =>
  JSON.stringify({
    name,
    aggregations: null,
    description: null,
    mlflow_version: '3.11.0',
    serialization_version: 1,
    builtin_scorer_class: 'Guidelines',
    builtin_scorer_pydantic_data: { name, guidelines: ['The answer is polite.'] },
  });

describe('traces/search prompt filter', () => {
  it("answers 400 INVALID_PARAMETER_VALUE for a comparator other than '='", async () => {
    server = await startStandin();
    const exp = (await send('POST', `${API2}/experiments/create`, { name: 'prompt-filter' })).body.experiment_id;
    const locations = [{ type: 'MLFLOW_EXPERIMENT', mlflow_experiment: { experiment_id: exp } }];
    for (const filter of ["prompt != 'qa/1'", "prompt LIKE 'qa/%'", "prompt IN ('qa/1')"]) {
      const res = await send('POST', `${API3}/traces/search`, { locations, filter });
      expect(res.status, filter).toBe(400);
      expect(res.body.error_code, filter).toBe('INVALID_PARAMETER_VALUE');
    }
    expect((await send('POST', `${API3}/traces/search`, { locations, filter: "prompt = 'qa/1'" })).status).toBe(200);
  });
});

describe('scorer permissions under basic auth', () => {
  async function setup() {
    server = await startStandin({ basicAuth: { adminPassword: ADMIN_PASSWORD } });
    server.createUser!('scorer-editor', 'editor-Pass-123');
    server.createUser!('scorer-reader', 'reader-Pass-123');
    const exp = (await send('POST', `${API2}/experiments/create`, { name: 'scorer-perms' }, ADMIN)).body.experiment_id as string;
    const granted = await send('POST', `${API2}/experiments/permissions/create`, { experiment_id: exp, username: 'scorer-editor', permission: 'EDIT' }, ADMIN);
    expect(granted.status).toBe(200);
    return { exp, editor: basic('scorer-editor', 'editor-Pass-123'), reader: basic('scorer-reader', 'reader-Pass-123') };
  }
  const register = (exp: string, name: string, who: Record<string, string>) =>
    send('POST', `${API3}/scorers/register`, { experiment_id: exp, name, serialized_scorer: serialized(name) }, who);
  const remove = (exp: string, name: string, who: Record<string, string>, version?: number) =>
    send('DELETE', `${API3}/scorers/delete`, { experiment_id: exp, name, ...(version === undefined ? {} : { version }) }, who);
  const scorerPermissionsOf = async (username: string) =>
    (await send('GET', `${API2}/users/get?username=${username}`, undefined, ADMIN)).body.user.scorer_permissions;

  it('lets a READ user get and list versions of a scorer but not delete it', async () => {
    const { exp, reader } = await setup();
    expect((await register(exp, 'polite', ADMIN)).status).toBe(200);
    expect((await send('GET', `${API3}/scorers/get?experiment_id=${exp}&name=polite`, undefined, reader)).status).toBe(200);
    expect((await send('GET', `${API3}/scorers/versions?experiment_id=${exp}&name=polite`, undefined, reader)).status).toBe(200);
    const refused = await remove(exp, 'polite', reader);
    expect(refused.status).toBe(403);
    expect(refused.text).toBe('Permission denied');
  });

  it('gives the registering user MANAGE on the scorer, and nothing on scorers of others despite EDIT on the experiment', async () => {
    const { exp, editor } = await setup();
    expect((await register(exp, 'concise', editor)).status).toBe(200);
    expect(await scorerPermissionsOf('scorer-editor')).toEqual([
      { experiment_id: exp, permission: 'MANAGE', scorer_name: 'concise', user_id: expect.any(Number) },
    ]);
    expect((await register(exp, 'polite', ADMIN)).status).toBe(200);
    expect((await remove(exp, 'polite', editor)).status).toBe(403);
    expect((await remove(exp, 'concise', editor)).status).toBe(200);
    expect(await scorerPermissionsOf('scorer-editor')).toEqual([]);
  });

  it('drops every permission on the scorer when one version is deleted', async () => {
    const { exp, editor } = await setup();
    expect((await register(exp, 'concise', editor)).status).toBe(200);
    expect((await register(exp, 'concise', editor)).body.version).toBe(2);
    expect((await remove(exp, 'concise', editor, 1)).status).toBe(200);
    // version 2 is still there, but its registrant is back to the default READ
    expect((await send('GET', `${API3}/scorers/get?experiment_id=${exp}&name=concise`, undefined, editor)).body.scorer.scorer_version).toBe(2);
    expect((await remove(exp, 'concise', editor, 2)).status).toBe(403);
    expect((await remove(exp, 'concise', ADMIN, 2)).status).toBe(200);
  });
});

describe('registered model and prompt permissions under basic auth', () => {
  const PROMPT_TAG = { key: 'mlflow.prompt.is_prompt', value: 'true' };
  const promptVersion = (name: string) => ({
    name,
    source: 'dummy-source',
    tags: [PROMPT_TAG, { key: '_mlflow_prompt_type', value: 'text' }, { key: 'mlflow.prompt.text', value: 'Q: {{q}}' }],
  });
  async function setup() {
    server = await startStandin({ basicAuth: { adminPassword: ADMIN_PASSWORD } });
    server.createUser!('prompt-author', 'author-Pass-123');
    return basic('prompt-author', 'author-Pass-123');
  }
  const modelPermissionsOf = async (username: string) =>
    (await send('GET', `${API2}/users/get?username=${username}`, undefined, ADMIN)).body.user.registered_model_permissions;

  it("lets a READ user read another user's prompt but not add versions, tags or delete it", async () => {
    const author = await setup();
    expect((await send('POST', `${API2}/registered-models/create`, { name: 'qa', tags: [PROMPT_TAG] }, ADMIN)).status).toBe(200);
    expect((await send('POST', `${API2}/model-versions/create`, promptVersion('qa'), ADMIN)).status).toBe(200);
    expect((await send('GET', `${API2}/registered-models/get?name=qa`, undefined, author)).status).toBe(200);
    expect((await send('GET', `${API2}/model-versions/get?name=qa&version=1`, undefined, author)).status).toBe(200);
    expect((await send('POST', `${API2}/model-versions/create`, promptVersion('qa'), author)).status).toBe(403);
    expect((await send('POST', `${API2}/registered-models/set-tag`, { name: 'qa', key: 'k', value: 'v' }, author)).status).toBe(403);
    expect((await send('DELETE', `${API2}/registered-models/delete`, { name: 'qa' }, author)).status).toBe(403);
  });

  it('gives the creator MANAGE, carried by a rename and dropped by a delete', async () => {
    const author = await setup();
    expect((await send('POST', `${API2}/registered-models/create`, { name: 'mine', tags: [PROMPT_TAG] }, author)).status).toBe(200);
    expect(await modelPermissionsOf('prompt-author')).toEqual([{ name: 'mine', permission: 'MANAGE', user_id: expect.any(Number) }]);
    expect((await send('POST', `${API2}/model-versions/create`, promptVersion('mine'), author)).status).toBe(200);
    expect((await send('POST', `${API2}/registered-models/rename`, { name: 'mine', new_name: 'still-mine' }, author)).status).toBe(200);
    expect(await modelPermissionsOf('prompt-author')).toEqual([{ name: 'still-mine', permission: 'MANAGE', user_id: expect.any(Number) }]);
    expect((await send('DELETE', `${API2}/registered-models/delete`, { name: 'still-mine' }, author)).status).toBe(200);
    expect(await modelPermissionsOf('prompt-author')).toEqual([]);
    // a later model of that name, made by the admin, is not the author's
    expect((await send('POST', `${API2}/registered-models/create`, { name: 'still-mine' }, ADMIN)).status).toBe(200);
    expect((await send('DELETE', `${API2}/registered-models/delete`, { name: 'still-mine' }, author)).status).toBe(403);
  });
});
