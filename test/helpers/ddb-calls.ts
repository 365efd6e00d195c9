// Records every DynamoDB command the process sends (name and key), to assert on round trips.

export interface DdbCall {
  command: string;
  sk: string;
}

export async function recordDdbCalls(): Promise<DdbCall[]> {
  const { dynamoClient } = await import('../../lib/aws.js');
  const calls: DdbCall[] = [];
  dynamoClient.middlewareStack.add(
    (next, context) => async (args) => {
      // Marshalled ({S: ...}) or not, depending on where in the stack the document client is.
      const sk = (args.input as { Key?: { SK?: string | { S?: string } } }).Key?.SK;
      calls.push({ command: String(context.commandName), sk: (typeof sk === 'string' ? sk : sk?.S) ?? '' });
      return next(args);
    },
    { step: 'initialize', name: 'recordDdbCalls' },
  );
  return calls;
}
