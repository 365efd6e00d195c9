// The vault's CDK constructs, for use in your own CDK app (see README, "Deploying to AWS").
export { type BillingProps, type ThrottlingProps, TokenVault, type TokenVaultProps } from './token-vault.js';
export { VaultFunction, type VaultFunctionProps } from './vault-function.js';
