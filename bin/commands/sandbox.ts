import { parseArgs } from 'node:util'
import { UsageError } from '../../lib/errors.ts'
import { parseSandboxFaults, sandboxFaults } from '../../sandbox/catalog.ts'
import { startSandboxServices } from '../../sandbox/services.ts'
import type { Command } from '../cli.ts'

function help(): string {
  return [
    'Usage: runbook-kit sandbox [--fault NAME]... [--https-port N] [--http-port N] [--slow-ms N] [--app-only]',
    '',
    'Runs the built-in sandbox in the foreground until Ctrl-C (SIGINT) or SIGTERM: the demo application',
    'over HTTPS with a CA generated for this run and an HTTP port that redirects to it; PostgreSQL, Redis',
    'and Prometheus when installed (seeded like a deployed release); and a Kubernetes API simulator with',
    'the release rolled out (KUBECONFIG printed below), so every check kind can be tried against it.',
    '',
    'Options:',
    '  --fault NAME      switch a fault on; repeat or comma-separate for several (default: none)',
    '  --https-port N    HTTPS port (default: 0, a free port)',
    '  --http-port N     plain-HTTP port (default: 0, a free port)',
    '  --slow-ms N       delay added by the "slow" fault, ms (default: 1500)',
    '  --app-only        start only the demo application (default: every service that can start)',
    '  -h, --help        show this help',
    '',
    'Faults:',
    ...Object.entries(sandboxFaults('smoke')).map(([f, d]) => `  ${f.padEnd(22)}${d}`),
    '',
    'It prints the URLs, the CA file and `export` lines for a shell. The webhook secret and the admin',
    'password ARE printed, on purpose: they are random per run and protect only your own throwaway',
    'sandbox on loopback, and you need them to sign test deliveries and to log in. Set WEBHOOK_SECRET',
    'beforehand to choose the secret yourself.',
  ].join('\n')
}

function parsePort(name: string, value: string | undefined): number {
  if (value === undefined) return 0
  if (!/^\d+$/.test(value) || Number(value) > 65535) throw new UsageError(`--${name} must be a port number from 0 to 65535, got "${value}"`)
  return Number(value)
}

function shellQuote(value: string): string {
  return /^[\w@%+=:,./-]+$/.test(value) ? value : `'${value.replace(/'/g, `'\\''`)}'`
}

async function main(argv: string[]): Promise<number> {
  let values
  try {
    ;({ values } = parseArgs({
      args: argv,
      strict: true,
      allowPositionals: false,
      options: {
        fault: { type: 'string', multiple: true },
        'https-port': { type: 'string' },
        'http-port': { type: 'string' },
        'slow-ms': { type: 'string' },
        'app-only': { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
    }))
  } catch (err) {
    throw new UsageError(`${(err as Error).message} (see runbook-kit sandbox --help)`, { cause: err })
  }
  if (values.help) {
    process.stdout.write(help() + '\n')
    return 0
  }
  const faults = parseSandboxFaults(values.fault, 'smoke')
  const slowMs = values['slow-ms']
  if (slowMs !== undefined && !/^\d+$/.test(slowMs)) throw new UsageError(`--slow-ms must be a whole number of milliseconds, got "${slowMs}"`)

  const appOnly = values['app-only'] === true
  const services = await startSandboxServices({
    faults,
    httpsPort: parsePort('https-port', values['https-port']),
    httpPort: parsePort('http-port', values['http-port']),
    ...(slowMs !== undefined ? { slowMs: Number(slowMs) } : {}),
    ...(process.env.WEBHOOK_SECRET ? { webhookSecret: process.env.WEBHOOK_SECRET } : {}),
    // Every service that can start, or (--app-only) none but the application.
    ...(appOnly ? { needs: [] } : {}),
  })
  const sandbox = services.app
  // A secret the user chose (WEBHOOK_SECRET) is theirs already: print only what this run generated.
  const generated = { ...services.secrets }
  if (process.env.WEBHOOK_SECRET) delete generated.WEBHOOK_SECRET
  const exports = { ...services.vars, ...generated }
  const skipped = Object.entries(services.missing).map(([name, reason]) => `  not started: ${name} (${reason})`)
  process.stdout.write(
    [
      `sandbox running${faults.length ? ` with faults: ${faults.join(', ')}` : ' (no faults)'}`,
      `  HTTPS    ${sandbox.httpsUrl}  (health: ${sandbox.httpsUrl}/health, admin: ${sandbox.httpsUrl}/admin)`,
      `  HTTP     ${sandbox.httpUrl}`,
      `  CA file  ${sandbox.caFile}`,
      `  try      curl --cacert ${sandbox.caFile} ${sandbox.httpsUrl}/health`,
      ...(exports.SANDBOX_KUBECONFIG ? [`           kubectl --kubeconfig ${exports.SANDBOX_KUBECONFIG} get deploy,pods,ingress,certificate -n production`] : []),
      ...skipped,
      '',
      '# environment for smoke runs and one-off checks (the secrets are this throwaway sandbox\'s own):',
      ...Object.entries(exports).map(([k, v]) => `export ${k}=${shellQuote(v)}`),
      '',
      'Press Ctrl-C to stop.',
      '',
    ].join('\n'),
  )

  const signal = await new Promise<NodeJS.Signals>((resolve) => {
    const onSignal = (s: NodeJS.Signals) => {
      process.off('SIGINT', onSignal)
      process.off('SIGTERM', onSignal)
      resolve(s)
    }
    process.on('SIGINT', onSignal)
    process.on('SIGTERM', onSignal)
  })
  await services.close()
  process.stdout.write(`sandbox stopped (${signal}); removed ${sandbox.caFile}\n`)
  return 0
}

export const command: Command = { summary: 'run the built-in sandbox in the foreground', main }
