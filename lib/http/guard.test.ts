import { describe, expect, it } from 'vitest';
import { clientAddress } from './guard';

const from = (xff?: string) => new Request('http://h/api/auth/login', { headers: xff === undefined ? {} : { 'x-forwarded-for': xff } });

describe('the client address for sign-in limits', () => {
  it('is the one the nearest trusted proxy wrote, never what the client wrote to its left', () => {
    // The client claims to be the victim; the proxy appends the address it really saw.
    expect(clientAddress(from('192.0.2.66, 203.0.113.5'), 1)).toBe('203.0.113.5');
    expect(clientAddress(from('192.0.2.66, 198.51.100.9, 203.0.113.5'), 1)).toBe('203.0.113.5');
    // Two proxies: the outer one wrote the client's address, the inner one the outer's.
    expect(clientAddress(from('192.0.2.66, 198.51.100.9, 10.0.0.2'), 2)).toBe('198.51.100.9');
    expect(clientAddress(from('203.0.113.5'), 1)).toBe('203.0.113.5');
    expect(clientAddress(from(' 203.0.113.5 ,'), 1)).toBe('203.0.113.5');
  });

  it('is unknown without a trusted proxy, whatever the headers say', () => {
    expect(clientAddress(from('192.0.2.66'), 0)).toBeNull();
    expect(clientAddress(from(), 0)).toBeNull();
    expect(clientAddress(from(), 1)).toBe('unknown');
  });
});
