import { describe, expect, it } from 'vitest'
import { dnsNameMatches, hostnameMatches } from '../../checks/tls-hostname.ts'

describe('dnsNameMatches (RFC 6125)', () => {
  it.each<[string, string, boolean]>([
    ['api.example.com', 'api.example.com', true],
    ['API.Example.COM', 'api.example.com', true],
    ['api.example.com.', 'api.example.com', true],
    ['api.example.com', 'api.example.com.', true],
    ['api.example.com', 'www.example.com', false],
    ['*.example.com', 'api.example.com', true],
    ['*.example.com', 'API.EXAMPLE.COM', true],
    ['*.example.com', 'example.com', false],
    ['*.example.com', 'a.b.example.com', false],
    ['*.example.com', '.example.com', false],
    ['*.com', 'example.com', false],
    ['*', 'localhost', false],
    ['a.*.example.com', 'a.b.example.com', false],
    ['f*.example.com', 'foo.example.com', false],
    ['*.*.example.com', 'a.b.example.com', false],
    ['*.bücher.example', 'www.xn--bcher-kva.example', true],
    ['xn--bcher-kva.example', 'bücher.example', true],
  ])('%s vs %s → %s', (pattern, host, expected) => {
    expect(dnsNameMatches(pattern, host)).toBe(expected)
  })
})

describe('hostnameMatches', () => {
  it.each<[string, { dnsNames: string[]; ipAddresses: string[]; commonName?: string }, boolean]>([
    ['127.0.0.1', { dnsNames: ['localhost'], ipAddresses: ['127.0.0.1'] }, true],
    ['127.0.0.1', { dnsNames: ['127.0.0.1'], ipAddresses: [] }, false],
    ['127.0.0.1', { dnsNames: [], ipAddresses: [], commonName: '127.0.0.1' }, false],
    ['::1', { dnsNames: [], ipAddresses: ['0:0:0:0:0:0:0:1'] }, true],
    ['[::1]', { dnsNames: [], ipAddresses: ['::1'] }, true],
    ['2001:db8::1', { dnsNames: [], ipAddresses: ['2001:DB8:0:0::1'] }, true],
    ['10.0.0.1', { dnsNames: [], ipAddresses: ['10.0.0.2'] }, false],
    ['localhost', { dnsNames: ['localhost'], ipAddresses: ['127.0.0.1'] }, true],
    ['localhost', { dnsNames: ['example.com'], ipAddresses: [], commonName: 'localhost' }, false],
    ['localhost', { dnsNames: [], ipAddresses: ['127.0.0.1'], commonName: 'localhost' }, true],
    ['localhost', { dnsNames: [], ipAddresses: [] }, false],
    ['api.example.com', { dnsNames: ['www.example.com', '*.example.com'], ipAddresses: [] }, true],
  ])('%s in %j → %s', (host, ids, expected) => {
    expect(hostnameMatches(host, ids)).toBe(expected)
  })
})
