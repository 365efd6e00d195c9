import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Duration, type RemovalPolicy, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction } from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';
import type { Access } from '../functions/defs.js';
import type { Config } from '../lib/config.js';
import { type AccessTargets, accessStatements } from './access.js';
import { VAULT_BUNDLING } from './bundling.js';

/** The project root: handler entries in the route table are relative to it. */
export const PROJECT_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');

/** Environment variable names a vault function may get: lib/config.ts's, plus the platform's. */
export type VaultEnvName =
  | keyof Config
  | 'REGISTRATION_SECRET_ARN'
  | 'NODE_OPTIONS'
  | 'POWERTOOLS_SERVICE_NAME'
  | 'POWERTOOLS_METRICS_NAMESPACE';
export type VaultEnvironment = Partial<Record<VaultEnvName, string>>;

export { ESM_REQUIRE_BANNER } from './bundling.js';

export interface VaultFunctionProps {
  /** Handler file, relative to the project root (the route table's `entry`); it exports `handler`. */
  readonly entry: string;
  /** Physical function name. */
  readonly functionName: string;
  readonly description?: string;
  /** What the function may touch; its IAM policy is derived from this and nothing else. */
  readonly access: Access;
  /** The function verifies API keys (the route has a scope). */
  readonly authenticated: boolean;
  /** ARNs that `access` refers to. */
  readonly targets: AccessTargets;
  readonly environment: VaultEnvironment;
  readonly timeout: Duration;
  /** @default 512 */
  readonly memorySize?: number;
  readonly logRetention: logs.RetentionDays;
  /** For the function's log group. */
  readonly removalPolicy: RemovalPolicy;
  /** Files the handler serves (the route's `assets`, relative to the project root), copied next to the bundle. */
  readonly assets?: string[];
}

/**
 * A vault Lambda function: Node.js 24 on arm64, an ESM bundle made locally by esbuild (minified,
 * with source maps; no Docker), X-Ray tracing, JSON logs to its own log group, and a role of its
 * own whose policy is derived from the function's declared `access`.
 *
 * The role and the log group are created next to the function (ids `<id>Role`, `<id>Logs`).
 */
export class VaultFunction extends NodejsFunction {
  readonly access: Access;

  constructor(scope: Construct, id: string, props: VaultFunctionProps) {
    const role = new iam.Role(scope, `${id}Role`, {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: `Token vault function ${props.functionName}`,
    });
    const logGroup = new logs.LogGroup(scope, `${id}Logs`, {
      retention: props.logRetention,
      removalPolicy: props.removalPolicy,
    });
    const lockFile = join(PROJECT_ROOT, 'package-lock.json');

    super(scope, id, {
      entry: join(PROJECT_ROOT, props.entry),
      handler: 'handler',
      projectRoot: PROJECT_ROOT,
      ...(existsSync(lockFile) ? { depsLockFilePath: lockFile } : {}),
      functionName: props.functionName,
      description: props.description,
      runtime: lambda.Runtime.NODEJS_24_X,
      architecture: lambda.Architecture.ARM_64,
      memorySize: props.memorySize ?? 512,
      timeout: props.timeout,
      role,
      tracing: lambda.Tracing.ACTIVE,
      loggingFormat: lambda.LoggingFormat.JSON,
      logGroup,
      environment: {
        NODE_OPTIONS: '--enable-source-maps',
        ...(props.environment as Record<string, string>),
      },
      bundling: {
        ...VAULT_BUNDLING,
        mainFields: [...VAULT_BUNDLING.mainFields],
        ...(props.assets?.length ? { commandHooks: assetHooks(props.assets) } : {}),
      },
    });
    this.access = props.access;

    // The log group exists (above): writing to it is all the function needs; no managed policy.
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid: 'WriteOwnLogs',
        actions: ['logs:CreateLogStream', 'logs:PutLogEvents'],
        resources: [logGroup.logGroupArn],
      }),
    );
    for (const statement of accessStatements(props.access, props.authenticated, props.targets)) {
      role.addToPrincipalPolicy(statement);
    }

    Validations.of(role).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason:
        'X-Ray active tracing: xray:PutTraceSegments and xray:PutTelemetryRecords support no resource-level permissions (Resource must be *). Every other statement names its resources.',
    });
  }
}

/** The dashboard's build output: built (dashboard/build.ts) before a function that serves it is bundled. */
const BUILT_ASSETS = 'dashboard/dist/';

function assetHooks(assets: string[]) {
  return {
    beforeBundling: (inputDir: string) =>
      assets.some((a) => a.startsWith(BUILT_ASSETS))
        ? [`cd "${inputDir}" && node_modules/.bin/tsx dashboard/build.ts`]
        : [],
    beforeInstall: () => [],
    afterBundling: (inputDir: string, outputDir: string) =>
      assets.map((a) => `cp "${join(inputDir, a)}" "${outputDir}/"`),
  };
}
