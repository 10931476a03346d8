/**
 * The fictional enterprise the generator writes traffic for: department subnets of workstations
 * (IPv4, engineering also IPv6), domain controllers, file, print, management and application
 * servers, admins, VPN clients, and an unmapped range attackers come from. The same description
 * renders the `[ip_groups]` INI fragment, so a sample log ships with a matching map.
 */

/** One group of the INI map (name = CIDRs) with the hosts the generator uses in it. */
export interface NetworkGroup {
  name: string;
  cidrs: string[];
  /** Why the group exists, written as an INI comment. */
  description: string;
}

/** Host pools by role. All addresses are inside the CIDRs of `NETWORK_GROUPS` except `rogue`. */
export interface NetworkHosts {
  domainControllers: string[];
  /** IPv6 addresses of the same DCs (dual-stack), used by IPv6 workstations. */
  domainControllersV6: string[];
  fileServers: string[];
  printServers: string[];
  managementServers: string[];
  appServers: string[];
  adminWorkstations: string[];
  /** Department workstations (IPv4), department name alongside. */
  workstations: { host: string; department: string }[];
  workstationsV6: string[];
  vpnClients: string[];
  /** Hosts in a range no group maps (a lab or a rogue device). */
  rogue: string[];
}

/** The enterprise ULA prefix (fd7a:1e5:10::/48). */
const ULA = 'fd7a:1e5:10';

/** Department /24s and how many workstations each has. */
export const DEPARTMENTS: readonly { name: string; cidrs: string[]; hosts: number }[] = [
  { name: 'finance', cidrs: ['10.10.1.0/24'], hosts: 28 },
  { name: 'hr', cidrs: ['10.10.2.0/24'], hosts: 12 },
  { name: 'engineering', cidrs: ['10.10.3.0/24', '10.10.4.0/23', `${ULA}:3::/64`], hosts: 70 },
  { name: 'sales', cidrs: ['10.10.6.0/24'], hosts: 34 },
  { name: 'marketing', cidrs: ['10.10.7.0/24'], hosts: 16 },
  { name: 'support', cidrs: ['10.10.8.0/24'], hosts: 26 },
  { name: 'legal', cidrs: ['10.10.9.0/24'], hosts: 8 },
  { name: 'operations', cidrs: ['10.10.10.0/24'], hosts: 20 },
];

/** Every group of the map, parents before children (order does not matter for lookup). */
export const NETWORK_GROUPS: readonly NetworkGroup[] = [
  { name: 'infrastructure', cidrs: ['10.0.0.0/16', `${ULA}:1::/64`], description: 'server range' },
  {
    name: 'domain_controllers',
    cidrs: ['10.0.0.8/29', `${ULA}:1::10/126`],
    description: 'DC01-DC03 (dual-stack)',
  },
  { name: 'servers', cidrs: ['10.0.1.0/24'], description: 'application servers (SQL, web, ERP)' },
  { name: 'file_servers', cidrs: ['10.0.1.20/30'], description: 'file servers' },
  { name: 'print_servers', cidrs: ['10.0.1.30/31'], description: 'print servers' },
  {
    name: 'management_servers',
    cidrs: ['10.0.1.40/29'],
    description: 'SCCM, backup and monitoring',
  },
  { name: 'workstations', cidrs: ['10.10.0.0/16'], description: 'all department subnets' },
  ...DEPARTMENTS.map((d) => ({ name: d.name, cidrs: d.cidrs, description: `${d.name} workstations` })),
  { name: 'it_admin', cidrs: ['10.20.0.0/24'], description: 'administrators\u2019 workstations' },
  { name: 'vpn', cidrs: ['10.30.0.0/22'], description: 'VPN client pool' },
];

/** The range rogue/unknown hosts come from: deliberately in no group. */
export const UNMAPPED_RANGE = '10.99.0.0/24';

/** Hosts of every role, fixed so that the INI map and any generated log always agree. */
export function networkHosts(): NetworkHosts {
  const workstations: { host: string; department: string }[] = [];
  for (const department of DEPARTMENTS) {
    const [first = ''] = department.cidrs;
    const base = first.slice(0, first.lastIndexOf('.'));
    for (let i = 0; i < department.hosts; i++) {
      // A stride coprime with 200 keeps addresses unique but irregular.
      const octet = 20 + ((i * 37) % 200);
      workstations.push({ host: `${base}.${octet}`, department: department.name });
    }
  }
  const range = (prefix: string, from: number, count: number): string[] =>
    Array.from({ length: count }, (_, i) => `${prefix}${from + i}`);
  return {
    domainControllers: range('10.0.0.', 10, 3),
    domainControllersV6: [`${ULA}:1::10`, `${ULA}:1::11`, `${ULA}:1::12`],
    fileServers: range('10.0.1.', 20, 3),
    printServers: range('10.0.1.', 30, 2),
    managementServers: range('10.0.1.', 40, 3),
    appServers: range('10.0.1.', 50, 12),
    adminWorkstations: range('10.20.0.', 11, 6),
    workstations,
    workstationsV6: Array.from(
      { length: 10 },
      (_, i) =>
        `${ULA}:3:${(0x21a + i * 0x111).toString(16)}:5ff:fe${(0x10 + i).toString(16)}:${(0x2c40 + i * 7).toString(16)}`,
    ),
    vpnClients: Array.from({ length: 60 }, (_, i) => `10.30.${Math.floor(i / 30)}.${10 + ((i * 7) % 200)}`),
    rogue: range('10.99.0.', 23, 4),
  };
}

/** The `[ip_groups]` INI fragment describing the generated network. */
export function renderIpGroupsIni(): string {
  const lines = [
    '; IP groups of the network that `zeek-anomalyd generate` simulates.',
    '; group = CIDR[, CIDR ...]; the longest matching prefix wins.',
    `; ${UNMAPPED_RANGE} (rogue/unknown hosts) is deliberately not listed.`,
    '[ip_groups]',
  ];
  for (const group of NETWORK_GROUPS) {
    lines.push(`; ${group.description}`, `${group.name} = ${group.cidrs.join(', ')}`);
  }
  return lines.join('\n') + '\n';
}
