import { Duration } from 'aws-cdk-lib';
import type * as apigw from 'aws-cdk-lib/aws-apigatewayv2';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as cwActions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as sns from 'aws-cdk-lib/aws-sns';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';
import type { Settings } from '../props.js';
import type { VaultFunction } from '../vault-function.js';
import { METRICS_NAMESPACE, SERVICE_NAME } from './functions.js';

const ALARM_PERIOD = Duration.minutes(5);
/** CloudWatch: an alarm's metric math can reference at most 10 metrics. */
const MAX_METRICS_PER_ALARM = 10;
/** Percentage of requests answered 5xx that raises the alarm. */
const API_5XX_RATE_THRESHOLD = 5;
const API_P99_LATENCY_THRESHOLD_MS = 3000;

export interface VaultMonitoringProps {
  settings: Settings;
  /** An existing topic for the alarms; without it, one is made. */
  alarmTopic?: sns.ITopic;
  functions: Record<string, VaultFunction>;
  api: apigw.HttpApi;
  webhookQueue: sqs.Queue;
  webhookDeadLetterQueue: sqs.Queue;
}

/** Alarms (to an SNS topic) on the functions, the API and the webhook queues, and a dashboard. */
export class VaultMonitoring {
  readonly alarmTopic: sns.ITopic;
  readonly dashboard: cloudwatch.Dashboard;

  constructor(scope: Construct, props: VaultMonitoringProps) {
    const { stage, namePrefix } = props.settings;

    this.alarmTopic =
      props.alarmTopic ??
      new sns.Topic(scope, 'AlarmTopic', { displayName: `Token vault (${stage}) alarms`, enforceSSL: true });
    const alarmAction = new cwActions.SnsAction(this.alarmTopic);
    const alarm = (
      cid: string,
      metric: cloudwatch.IMetric,
      opts: Omit<cloudwatch.CreateAlarmOptions, 'metric'>,
    ) => {
      const a = new cloudwatch.Alarm(scope, cid, {
        metric,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
        ...opts,
      });
      a.addAlarmAction(alarmAction);
      a.addOkAction(alarmAction);
      return a;
    };

    // Errors and throttles of every function, summed with metric math. An alarm's expression can
    // hold at most 10 metrics, so the functions are watched in groups of 10 (one alarm per 30
    // functions would also keep the stack far from CloudFormation's 500-resource limit).
    const fns = Object.entries(props.functions);
    const groups = chunk(fns, MAX_METRICS_PER_ALARM);
    for (const [metricName, what] of [
      ['Errors', 'failed (unhandled error or timeout)'],
      ['Throttles', 'were throttled (account or reserved concurrency exhausted)'],
    ] as const) {
      groups.forEach((group, i) => {
        const ids = group.map(([fid]) => fid);
        const sum = new cloudwatch.MathExpression({
          expression: 'SUM(METRICS())',
          usingMetrics: Object.fromEntries(
            group.map(([, fn], j) => [
              `m${j}`,
              fn.metric(metricName, { period: ALARM_PERIOD, statistic: 'Sum' }),
            ]),
          ),
          period: ALARM_PERIOD,
          label: `${metricName} (${ids.join(', ')})`,
        });
        alarm(`Function${metricName}Alarm${i + 1}`, sum, {
          alarmDescription: `Token vault (${stage}): functions ${what}; one of ${ids.join(', ')}`.slice(
            0,
            1024,
          ),
          threshold: 1,
          evaluationPeriods: 1,
          comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        });
      });
    }

    const requests = props.api.metricCount({ period: ALARM_PERIOD, statistic: 'Sum' });
    const serverErrors = props.api.metricServerError({ period: ALARM_PERIOD, statistic: 'Sum' });
    const clientErrors = props.api.metricClientError({ period: ALARM_PERIOD, statistic: 'Sum' });
    const latencyP99 = props.api.metricLatency({ period: ALARM_PERIOD, statistic: 'p99' });
    const serverErrorRate = new cloudwatch.MathExpression({
      expression: 'IF(requests > 0, 100 * errors / requests, 0)',
      usingMetrics: { requests, errors: serverErrors },
      period: ALARM_PERIOD,
      label: '5xx rate (%)',
    });
    alarm('Api5xxRateAlarm', serverErrorRate, {
      alarmDescription: `Token vault (${stage}): more than ${API_5XX_RATE_THRESHOLD}% of API requests answered 5xx`,
      threshold: API_5XX_RATE_THRESHOLD,
      evaluationPeriods: 2,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
    });
    alarm('ApiLatencyP99Alarm', latencyP99, {
      alarmDescription: `Token vault (${stage}): API p99 latency above ${API_P99_LATENCY_THRESHOLD_MS} ms`,
      threshold: API_P99_LATENCY_THRESHOLD_MS,
      evaluationPeriods: 3,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
    });
    alarm(
      'WebhookDeadLetterAlarm',
      props.webhookDeadLetterQueue.metricApproximateNumberOfMessagesVisible({
        period: ALARM_PERIOD,
        statistic: 'Maximum',
      }),
      {
        alarmDescription: `Token vault (${stage}): webhook deliveries gave up and are in the dead-letter queue`,
        threshold: 0,
        evaluationPeriods: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      },
    );
    // Events that could not be fanned out after a few attempts (lib/webhooks/dispatch.ts): parked,
    // not delivered, and worth a look (the event item keeps the reason).
    alarm(
      'WebhookEventsParkedAlarm',
      new cloudwatch.Metric({
        namespace: METRICS_NAMESPACE,
        metricName: 'WebhookEventsParked',
        dimensionsMap: { service: SERVICE_NAME },
        period: ALARM_PERIOD,
        statistic: 'Sum',
      }),
      {
        alarmDescription: `Token vault (${stage}): webhook events could not be fanned out and were parked`,
        threshold: 0,
        evaluationPeriods: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      },
    );

    const perFunction = (f: (fn: VaultFunction) => cloudwatch.Metric) =>
      fns.map(([fid, fn]) => f(fn).with({ label: fid, period: ALARM_PERIOD }));
    this.dashboard = new cloudwatch.Dashboard(scope, 'Dashboard', {
      dashboardName: namePrefix,
      defaultInterval: Duration.hours(3),
      widgets: [
        [
          new cloudwatch.GraphWidget({ title: 'API requests', left: [requests], width: 8 }),
          new cloudwatch.GraphWidget({
            title: 'API 4xx / 5xx',
            left: [clientErrors, serverErrors],
            width: 8,
          }),
          new cloudwatch.GraphWidget({
            title: 'API latency (ms)',
            left: ['p50', 'p90', 'p99'].map((s) =>
              props.api.metricLatency({ period: ALARM_PERIOD, statistic: s, label: s }),
            ),
            width: 8,
          }),
        ],
        [
          new cloudwatch.GraphWidget({
            title: 'Function errors',
            left: perFunction((fn) => fn.metricErrors({ statistic: 'Sum' })),
            width: 8,
          }),
          new cloudwatch.GraphWidget({
            title: 'Function duration p99 (ms)',
            left: perFunction((fn) => fn.metricDuration({ statistic: 'p99' })),
            width: 8,
          }),
          new cloudwatch.GraphWidget({
            title: 'Function throttles',
            left: perFunction((fn) => fn.metricThrottles({ statistic: 'Sum' })),
            width: 8,
          }),
        ],
        [
          new cloudwatch.GraphWidget({
            title: 'Webhook queue',
            left: [
              props.webhookQueue.metricApproximateNumberOfMessagesVisible({ label: 'waiting' }),
              props.webhookDeadLetterQueue.metricApproximateNumberOfMessagesVisible({
                label: 'dead letters',
              }),
            ],
            width: 12,
          }),
        ],
      ],
    });
  }
}

const chunk = <T>(items: T[], size: number): T[][] =>
  Array.from({ length: Math.ceil(items.length / size) }, (_, i) => items.slice(i * size, (i + 1) * size));
