/**
 * Scope: what may be contacted. Every connection attempt asks `allows(address)` first.
 * Built on node's BlockList, so IPv4/IPv6 addresses, ranges and subnets are matched by the runtime.
 */
import net from 'node:net';

export class Scope {
  private readonly allowed = new net.BlockList();
  private readonly excluded = new net.BlockList();
  private readonly description: string[] = [];

  /** Allows one address, a CIDR subnet (`10.0.0.0/8`, `2001:db8::/32`) or a range (`a-b`, full addresses). */
  allow(spec: string): this {
    addSpec(this.allowed, spec);
    this.description.push(`+${spec}`);
    return this;
  }

  exclude(spec: string): this {
    addSpec(this.excluded, spec);
    this.description.push(`-${spec}`);
    return this;
  }

  allows(address: string): boolean {
    const family = net.isIP(address);
    if (family === 0) return false; // hostnames are resolved before the check, never trusted by name
    const type = family === 4 ? 'ipv4' : 'ipv6';
    return this.allowed.check(address, type) && !this.excluded.check(address, type);
  }

  toString(): string {
    return this.description.join(' ');
  }
}

function addSpec(list: net.BlockList, spec: string): void {
  const slash = spec.indexOf('/');
  if (slash >= 0) {
    const addr = spec.slice(0, slash);
    const prefix = Number(spec.slice(slash + 1));
    const family = net.isIP(addr);
    const max = family === 4 ? 32 : 128;
    if (family === 0 || !Number.isInteger(prefix) || prefix < 0 || prefix > max) throw new Error(`bad subnet: ${spec}`);
    list.addSubnet(addr, prefix, family === 4 ? 'ipv4' : 'ipv6');
    return;
  }
  const dash = spec.indexOf('-');
  if (dash > 0 && net.isIP(spec.slice(0, dash)) !== 0 && net.isIP(spec.slice(dash + 1)) !== 0) {
    const a = spec.slice(0, dash);
    const b = spec.slice(dash + 1);
    list.addRange(a, b, net.isIP(a) === 4 ? 'ipv4' : 'ipv6');
    return;
  }
  const family = net.isIP(spec);
  if (family === 0) throw new Error(`not an address, subnet or range: ${spec}`);
  list.addAddress(spec, family === 4 ? 'ipv4' : 'ipv6');
}
