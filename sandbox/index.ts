// The built-in sandbox: the demo application, its faults, metrics and throwaway PKI.
export { startSandbox, SANDBOX_DEFAULTS } from './sandbox.ts'
export type { Sandbox, SandboxOptions } from './sandbox.ts'
export { FAULTS, FAULT_DESCRIPTIONS, isFault, parseFaults } from './faults.ts'
export type { Fault } from './faults.ts'
export { createCa, generateRsaKeyPem, issueCert } from './pki.ts'
export type { CaBundle, CreateCaOptions, IssueCertOptions, KeyPairPem } from './pki.ts'
export { verifySignature, SIGNATURE_HEADER } from './app.ts'
