import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import type { Tracer } from '@aws-lambda-powertools/tracer';
import { config, tracingOn } from './config.js';

// One logger, metrics and tracer per process. Powertools reads POWERTOOLS_* from the environment
// (log level, service name, namespace); lib/config.ts holds the defaults that apply when they are unset.
const serviceName = config.POWERTOOLS_SERVICE_NAME;

export const logger = new Logger({ serviceName });

export const metrics = new Metrics({
  serviceName,
  namespace: config.POWERTOOLS_METRICS_NAMESPACE,
  // Routes without a domain metric would warn "no metrics to publish" on every request.
  logger: {
    debug: (...a: unknown[]) => logger.debug(String(a[0])),
    info: (...a: unknown[]) => logger.info(String(a[0])),
    warn: (...a: unknown[]) => logger.debug(String(a[0])),
    error: (...a: unknown[]) => logger.error(String(a[0])),
  },
});

/**
 * Tracing is on where Powertools would turn it on (in Lambda, outside SAM, unless
 * POWERTOOLS_TRACE_ENABLED=false). Elsewhere (local server, tests, benchmarks) the X-Ray SDK is not
 * even loaded: loading it installs async hooks that tax every promise of every request, and a
 * disabled Powertools Tracer does nothing else. The stand-in offers what the vault calls.
 */
const tracing = tracingOn();

const untraced = {
  isTracingEnabled: () => false,
  captureAWSv3Client: <T>(client: T): T => client,
};

export const tracer: Tracer = tracing
  ? new (await import('@aws-lambda-powertools/tracer')).Tracer({ serviceName })
  : (untraced as unknown as Tracer);
