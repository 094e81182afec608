import { describe, expect, it } from 'vitest';
import { isRefusedAddress } from './remote';

describe('isRefusedAddress', () => {
  it('refuses loopback, private, link-local, metadata, NAT and reserved addresses, IPv4 inside IPv6 too', () => {
    const refused = [
      '127.0.0.1', '127.255.255.254', '10.1.2.3', '172.16.0.1', '172.31.255.255', '192.168.0.1', '169.254.169.254', '100.64.0.1',
      '0.0.0.0', '224.0.0.1', '255.255.255.255', '198.18.0.1',
      '::', '::1', '::ffff:127.0.0.1', '::ffff:7f00:1', '::ffff:a9fe:a9fe', '64:ff9b::a9fe:a9fe', '2002:7f00:1::', 'fd00:ec2::254', 'fe80::1', 'ff02::1',
      'localhost', '',
    ];
    for (const a of refused) expect(isRefusedAddress(a), a).toBe(true);
  });
  it('lets public addresses through', () => {
    for (const a of ['8.8.8.8', '193.191.245.2', '172.32.0.1', '100.128.0.1', '2a02:2c40::1', '2001:4860:4860::8888']) expect(isRefusedAddress(a), a).toBe(false);
  });
});
