/**
 * Which IP addresses are inside a network rather than on the public internet: loopback, private,
 * link-local (cloud metadata services live at 169.254.169.254 and fd00:ec2::254), CGNAT,
 * unspecified and the IPv4 addresses IPv6 embeds. Image URLs pointing there are not downloaded by
 * default (see download.ts).
 */

/** IPv4 ranges as [first octets, prefix length]. */
const PRIVATE_V4: Array<[number[], number]> = [
	[[0], 8], // "this network", 0.0.0.0
	[[10], 8],
	[[100, 64], 10], // CGNAT
	[[127], 8], // loopback
	[[169, 254], 16], // link-local, cloud metadata
	[[172, 16], 12],
	[[192, 0, 0], 24], // IETF protocol assignments
	[[192, 168], 16],
	[[198, 18], 15], // benchmarking
	[[224], 3], // multicast, reserved, broadcast
];

function v4Octets(text: string): number[] | undefined {
	const parts = text.split('.');
	if (parts.length !== 4) return undefined;
	const octets = parts.map((part) => (/^\d{1,3}$/.test(part) ? Number(part) : NaN));
	return octets.every((octet) => octet <= 255) ? octets : undefined;
}

function inV4Range(octets: number[], [start, bits]: [number[], number]): boolean {
	const value = ((octets[0] << 24) | (octets[1] << 16) | (octets[2] << 8) | octets[3]) >>> 0;
	const base = (((start[0] ?? 0) << 24) | ((start[1] ?? 0) << 16) | ((start[2] ?? 0) << 8)) >>> 0;
	const mask = bits === 0 ? 0 : (0xffffffff << (32 - bits)) >>> 0;
	return (value & mask) >>> 0 === (base & mask) >>> 0;
}

/** The eight 16-bit groups of an IPv6 address, or undefined when it is not one. */
function v6Groups(text: string): number[] | undefined {
	let address = text.replace(/%.*$/, '');
	const embedded = /(\d+\.\d+\.\d+\.\d+)$/.exec(address);
	if (embedded) {
		const octets = v4Octets(embedded[1]);
		if (!octets) return undefined;
		address = `${address.slice(0, -embedded[1].length)}${((octets[0] << 8) | octets[1]).toString(16)}:${((octets[2] << 8) | octets[3]).toString(16)}`;
	}
	const halves = address.split('::');
	if (halves.length > 2) return undefined;
	const parse = (half: string) => (half === '' ? [] : half.split(':').map((group) => (/^[0-9a-f]{1,4}$/i.test(group) ? parseInt(group, 16) : NaN)));
	const head = parse(halves[0]);
	const tail = halves.length === 2 ? parse(halves[1]) : [];
	const missing = 8 - head.length - tail.length;
	if (halves.length === 1 ? missing !== 0 : missing < 1) return undefined;
	const groups = [...head, ...new Array<number>(halves.length === 2 ? missing : 0).fill(0), ...tail];
	return groups.every((group) => Number.isInteger(group)) ? groups : undefined;
}

/** Whether an IP address (v4 or v6, as text) is not a public internet address; undefined when it is no IP. */
export function isPrivateAddress(raw: string): boolean | undefined {
	const text = raw.replace(/^\[|\]$/g, '');
	const octets = v4Octets(text);
	if (octets) return PRIVATE_V4.some((range) => inV4Range(octets, range));
	const groups = v6Groups(text);
	if (!groups) return undefined;
	const [first] = groups;
	// IPv4-mapped (::ffff:a.b.c.d), IPv4-compatible (::a.b.c.d) and NAT64 (64:ff9b::a.b.c.d): the IPv4 decides.
	const mapped = groups.slice(0, 5).every((group) => group === 0) && (groups[5] === 0xffff || groups[5] === 0);
	const nat64 = first === 0x64 && groups[1] === 0xff9b && groups.slice(2, 6).every((group) => group === 0);
	if ((mapped && (groups[6] !== 0 || groups[7] > 1)) || nat64) {
		return isPrivateAddress([groups[6] >> 8, groups[6] & 0xff, groups[7] >> 8, groups[7] & 0xff].join('.'));
	}
	if (groups.slice(0, 7).every((group) => group === 0)) return true; // :: and ::1
	return (
		(first & 0xfe00) === 0xfc00 || // unique local, incl. fd00:ec2::254 (AWS metadata)
		(first & 0xffc0) === 0xfe80 || // link-local
		(first & 0xffc0) === 0xfec0 || // site-local (deprecated)
		(first & 0xff00) === 0xff00 // multicast
	);
}
