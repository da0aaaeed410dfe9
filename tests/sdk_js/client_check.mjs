// Drives a generated SmartSpec JavaScript or TypeScript client (node strips the types) against a
// running app and prints one JSON object saying what happened. Called by the Python tests:
//   node client_check.mjs '{"module": "/tmp/x/smartspec-client.js", "mode": "errors", "baseUrl": "...", "apiKey": "..."}'
import { pathToFileURL } from "node:url";

const config = JSON.parse(process.argv[2]);
const sdk = await import(pathToFileURL(config.module).href);

function describe(error) {
  const classes = Object.entries(sdk)
    .filter(([, value]) => typeof value === "function" && value.prototype instanceof Error && error instanceof value)
    .map(([name]) => name)
    .sort();
  return { name: error.name, status: error.status ?? null, code: error.code ?? null, retryAfter: error.retryAfter ?? null, message: error.message, classes };
}

async function attempt(run) {
  try {
    return { ok: await run() };
  } catch (error) {
    return { error: describe(error) };
  }
}

async function download(url) {
  const response = await fetch(url);
  const bytes = (await response.arrayBuffer()).byteLength;
  return { status: response.status, bytes, type: response.headers.get("content-type") };
}

const out = {};
if (config.mode === "errors") {
  const good = new sdk.SmartSpecClient({ apiKey: config.apiKey, baseUrl: config.baseUrl });
  const bad = new sdk.SmartSpecClient({ apiKey: "ssp_not-a-real-token", baseUrl: config.baseUrl });
  out.models = await attempt(async () => (await good.listModels()).map((m) => m.id));
  out.unauthenticated = await attempt(() => bad.getTask("no-such-task"));
  out.invalid = await attempt(() => good.generateImage("", {}));
  out.unknownModel = await attempt(() => good.generateImage("a fox", { modelId: "no/such-model" }));
  out.notFound = await attempt(() => good.getTask("no-such-task"));
  for (let i = 0; i < (config.burst ?? 0); i++) {
    const result = await attempt(() => good.getTask("no-such-task"));
    if (result.error?.status === 429) {
      out.rateLimited = result;
      break;
    }
  }
} else if (config.mode === "live") {
  // no apiKey option: the client reads SMARTSPEC_API_KEY from the environment
  const client = new sdk.SmartSpecClient({ baseUrl: config.baseUrl });
  const started = await client.generateImage(config.prompt, { aspect_ratio: "1:1", wait: false });
  const progress = [];
  const done = await client.waitForTask(started, { intervalMs: 400, timeoutMs: 120000, onProgress: (t) => progress.push(t.progress) });
  out.started = { id: started.id, status: started.status, taskType: started.taskType };
  out.done = { id: done.id, status: done.status, progress: done.progress, outputUrl: done.outputUrl, modelId: done.modelId };
  out.progress = progress;
  out.download = await download(done.outputUrl);
  out.listed = (await client.listTasks(1, 50)).items.some((t) => t.id === done.id);
  const word = config.prompt.split(" ").pop().toUpperCase();
  out.filtered = {
    matching: (await client.listTasks(1, 50, { q: word, taskType: "image", status: "completed" })).items.some((t) => t.id === done.id),
    otherKind: (await client.listTasks(1, 50, { taskType: "speech" })).items.some((t) => t.id === done.id),
  };
  // one options object, resolved when the task has finished
  const waited = await client.generateImage({ prompt: config.prompt, model: "nano-banana-pro", aspect_ratio: "4:3", intervalMs: 400 });
  out.waited = { status: waited.status, outputUrl: waited.outputUrl, aspectRatio: waited.parameters.aspect_ratio };
  out.failed = await attempt(() => client.generateImage(`[sandbox:fail] ${config.prompt}`, { intervalMs: 400, timeoutMs: 120000 }));
  const running = await client.generateImage(`[sandbox:slow] ${config.prompt}`, { wait: false });
  out.cancelled = { status: (await client.cancelTask(running)).status };
  out.waitCancelled = await attempt(() => client.waitForTask(running, { intervalMs: 400, timeoutMs: 30000 }));
  out.cancelAgain = await attempt(() => client.cancelTask(running.id));
} else {
  throw new Error(`unknown mode ${config.mode}`);
}
console.log(JSON.stringify(out));
