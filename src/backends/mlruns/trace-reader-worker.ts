/**
 * The reader thread of trace-reader.ts: reads trace folders (trace-files.ts) and answers plain
 * data, one request after the other, while the main thread writes the traces read before.
 *
 *   { id, type: 'infos', dirs }  -> { id, infos: Array<{ info, token } | { error }> } (trace_info.yaml, tags, metadata, state token;
 *                                                                               info null: no readable trace_info.yaml)
 *   { id, type: 'trace', dir }   -> { id, files } | { id, error }                  (spans scanned, assessments parsed)
 *   (once loaded)                -> { ready: true }
 */
import { parentPort } from 'node:worker_threads';
import { errorData, listedTraceFromFolder, parseAssessmentFiles, readTraceFiles } from './trace-files.js';

export type ReaderRequest = { id: number; type: 'infos'; dirs: string[] } | { id: number; type: 'trace'; dir: string };

function answer(request: ReaderRequest): unknown {
  if (request.type === 'infos') {
    return {
      id: request.id,
      infos: request.dirs.map((dir) => {
        try {
          // A trace's info is plain data (strings, numbers, string records): built here, whole, with its state token.
          return listedTraceFromFolder(dir) ?? { info: null };
        } catch (error) {
          return { error: errorData(error) };
        }
      }),
    };
  }
  try {
    const files = readTraceFiles(request.dir);
    // Assessments parsed here too, those that stay plain data (trace-files.ts).
    return { id: request.id, files: { ...files, assessments: parseAssessmentFiles(files.assessments) } };
  } catch (error) {
    return { id: request.id, error: errorData(error) };
  }
}

parentPort?.on('message', (request: ReaderRequest) => parentPort!.postMessage(answer(request)));
// Loaded: until this arrives the main thread reads inline rather than wait for the thread to start.
parentPort?.postMessage({ ready: true });
