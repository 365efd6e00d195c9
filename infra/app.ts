import { App } from 'aws-cdk-lib';
import { addVaultStack } from './stack.js';

// This repo's CDK app: `npx cdk synth|deploy [-c stage=prod] [-c corsOrigins=https://a,https://b] ...`
// (context keys: see `vaultContext` in ./stack.ts). Environment-agnostic: it deploys to the account
// and region of the caller's credentials.

addVaultStack(new App());
