import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { config } from './config.js';
import { tracer } from './observability.js';

// Calls a function declared as an `invoke` job: deployed, a synchronous Lambda Invoke of the
// function the stack named in INVOKE_FUNCTIONS; under `npm start`, the handler registered in
// process by the local server. Lets a narrow function (the token read) hand a privileged step (a
// refresh, with writes and outbound calls) to a function that holds those privileges.

type LocalHandler = (payload: unknown) => Promise<unknown>;
const localHandlers = new Map<string, LocalHandler>();
let lambda: LambdaClient | undefined;

/** The local server registers each invoke job's handler here. */
export function registerLocalFunction(jobId: string, handler: LocalHandler): void {
  localHandlers.set(jobId, handler);
}

export class InvokeError extends Error {
  override name = 'InvokeError';
}

export async function invokeFunction<T>(jobId: string, payload: unknown): Promise<T> {
  const functionName = config.INVOKE_FUNCTIONS[jobId];
  if (!functionName) {
    const local = localHandlers.get(jobId);
    if (!local) throw new InvokeError(`No function to invoke for ${jobId}`);
    return (await local(payload)) as T;
  }
  lambda ??= tracer.captureAWSv3Client(new LambdaClient({}));
  const out = await lambda.send(
    new InvokeCommand({
      FunctionName: functionName,
      Payload: new TextEncoder().encode(JSON.stringify(payload)),
    }),
  );
  // The function's own error: its type only (its message could carry anything).
  if (out.FunctionError) throw new InvokeError(`${jobId} failed (${out.FunctionError})`);
  return JSON.parse(new TextDecoder().decode(out.Payload)) as T;
}
