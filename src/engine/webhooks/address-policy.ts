/**
 * Decides whether an IP address is one a webhook may be delivered to. Webhook URLs come from
 * users, so without this check a webhook could make the server POST to itself, to services on its
 * private network or to a cloud metadata endpoint (server-side request forgery).
 *
 * Anything that is not a public unicast address is refused, including text that is not an IP
 * address at all: the policy fails closed.
 */
import { isIPv4, isIPv6 } from 'node:net';

/** What an address is, as far as the webhook policy cares. Only `public` may be reached. */
export type AddressKind =
  | 'public'
  | 'loopback'
  | 'private'
  | 'link-local'
  | 'unspecified'
  | 'shared'
  | 'multicast'
  | 'reserved'
  | 'invalid';

/** A block of addresses: the first address as a number and the prefix length. */
interface Block<N> {
  base: N;
  bits: number;
  kind: AddressKind;
}

const V4_BLOCKS: Block<number>[] = [
  { base: v4('0.0.0.0'), bits: 8, kind: 'unspecified' }, // "this network"; 0.0.0.0 reaches the host itself
  { base: v4('10.0.0.0'), bits: 8, kind: 'private' },
  { base: v4('100.64.0.0'), bits: 10, kind: 'shared' }, // carrier-grade NAT
  { base: v4('127.0.0.0'), bits: 8, kind: 'loopback' },
  { base: v4('169.254.0.0'), bits: 16, kind: 'link-local' }, // includes cloud metadata 169.254.169.254
  { base: v4('172.16.0.0'), bits: 12, kind: 'private' },
  { base: v4('192.168.0.0'), bits: 16, kind: 'private' },
  { base: v4('224.0.0.0'), bits: 4, kind: 'multicast' },
  { base: v4('240.0.0.0'), bits: 4, kind: 'reserved' }, // includes broadcast 255.255.255.255
];

const V6_BLOCKS: Block<bigint>[] = [
  { base: v6('::'), bits: 128, kind: 'unspecified' },
  { base: v6('::1'), bits: 128, kind: 'loopback' },
  { base: v6('::'), bits: 96, kind: 'reserved' }, // deprecated IPv4-compatible addresses
  { base: v6('fc00::'), bits: 7, kind: 'private' }, // unique local
  { base: v6('fe80::'), bits: 10, kind: 'link-local' },
  { base: v6('fec0::'), bits: 10, kind: 'private' }, // deprecated site-local
  { base: v6('ff00::'), bits: 8, kind: 'multicast' },
];

/** IPv6 blocks whose last 32 bits are an IPv4 address that is what actually gets reached. */
const V6_EMBEDDING_V4: bigint[] = [
  v6('::ffff:0:0'), // IPv4-mapped
  v6('64:ff9b::'), // NAT64 well-known prefix
];

/** Classifies an IPv4 or IPv6 address (an IPv6 zone such as `%eth0` is ignored). */
export function classifyAddress(address: string): AddressKind {
  if (isIPv4(address)) return classifyV4(v4(address));
  const bare = address.split('%')[0] ?? '';
  if (isIPv6(bare)) return classifyV6(v6(bare));
  return 'invalid';
}

/**
 * True when a webhook must not be delivered to `address`: loopback, private, link-local,
 * unspecified, carrier-grade NAT, multicast or reserved, in IPv4, IPv6 or an IPv4-mapped IPv6
 * form; also true for text that is not an IP address.
 */
export function isPrivateAddress(address: string): boolean {
  return classifyAddress(address) !== 'public';
}

function classifyV4(n: number): AddressKind {
  for (const block of V4_BLOCKS) {
    if (inV4Block(n, block)) return block.kind;
  }
  return 'public';
}

function classifyV6(n: bigint): AddressKind {
  for (const prefix of V6_EMBEDDING_V4) {
    if (n >> 32n === prefix >> 32n) return classifyV4(Number(n & 0xffffffffn));
  }
  for (const block of V6_BLOCKS) {
    if (inV6Block(n, block)) return block.kind;
  }
  return 'public';
}

function inV4Block(n: number, block: Block<number>): boolean {
  const shift = 32 - block.bits;
  return shift >= 32 || n >>> shift === block.base >>> shift;
}

function inV6Block(n: bigint, block: Block<bigint>): boolean {
  const shift = BigInt(128 - block.bits);
  return n >> shift === block.base >> shift;
}

/** A dotted-quad IPv4 address as an unsigned 32-bit number; the caller has validated it. */
function v4(address: string): number {
  return address.split('.').reduce((acc, octet) => acc * 256 + Number(octet), 0);
}

/** A valid IPv6 address (without zone) as a 128-bit number. */
function v6(address: string): bigint {
  return groupsOf(address).reduce((acc, group) => (acc << 16n) | BigInt(group), 0n);
}

/** The eight 16-bit groups of an IPv6 address, expanding `::` and a dotted IPv4 tail. */
function groupsOf(address: string): number[] {
  const text = withHexTail(address);
  const [head = '', tail] = text.split('::');
  const parse = (part: string) => (part === '' ? [] : part.split(':').map((g) => parseInt(g, 16)));
  if (tail === undefined) return parse(head);
  const left = parse(head);
  const right = parse(tail);
  const zeros = new Array<number>(8 - left.length - right.length).fill(0);
  return [...left, ...zeros, ...right];
}

/** Rewrites a dotted IPv4 tail (`::ffff:1.2.3.4`) as two hex groups (`::ffff:102:304`). */
function withHexTail(address: string): string {
  const cut = address.lastIndexOf(':') + 1;
  const tail = address.slice(cut);
  if (!tail.includes('.')) return address;
  const n = v4(tail);
  return `${address.slice(0, cut)}${(n >>> 16).toString(16)}:${(n & 0xffff).toString(16)}`;
}
