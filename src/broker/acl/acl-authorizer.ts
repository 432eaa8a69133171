/**
 * The ACL authorizer, with the semantics of Kafka's StandardAuthorizer:
 * - a principal in `super.users` may do everything;
 * - otherwise the ACLs that apply to the resource are those on its literal name, on the literal
 *   wildcard `*`, and every PREFIXED pattern that is a prefix of the name; an ACL applies to the
 *   request when its principal is the request's or the wildcard of its type (`User:*`) and its
 *   host is the client's address or `*`;
 * - if no ACL at all exists on the resource (whatever its principal), `allow.everyone.if.no.acl.found`
 *   decides;
 * - a DENY for the operation (or ALL) wins over any ALLOW;
 * - an ALLOW for the operation, for ALL, or for an operation that implies it (DESCRIBE is implied
 *   by READ, WRITE, DELETE and ALTER; DESCRIBE_CONFIGS by ALTER_CONFIGS) allows.
 *
 * ACLs are indexed by resource type, then literal name (a map) or prefix (a character trie), so a
 * check costs two map lookups and a walk down the trie as far as the name's characters lead, not
 * a scan of every ACL.
 */
import { AclOperation, type AclResourceType, type Authorizer } from '../authorization.js';
import { AclPermission, bindingKey, filterMatches, PatternType, WILDCARD, WILDCARD_PRINCIPAL, type AclBinding, type AclFilter } from './acl.js';

/** Kafka's authorizer class names that enable this authorizer (authorizer.class.name). */
export const STANDARD_AUTHORIZER_CLASS = 'org.apache.kafka.metadata.authorizer.StandardAuthorizer';
export const ACCEPTED_AUTHORIZER_CLASSES: readonly string[] = [STANDARD_AUTHORIZER_CLASS, 'kafka.security.authorizer.AclAuthorizer'];

/** A character trie of the PREFIXED patterns: the ACLs of a prefix sit at the node its last character reaches. */
interface PrefixNode {
  children: Map<string, PrefixNode> | null;
  acls: AclBinding[] | null;
}

interface TypeIndex {
  literal: Map<string, AclBinding[]>;
  /** By prefix, for listing and removal. */
  prefixed: Map<string, AclBinding[]>;
  /** The same ACLs by prefix, walked character by character to find every prefix of a name. */
  trie: PrefixNode;
}

export interface AclAuthorizerOptions {
  superUsers: readonly string[];
  allowEveryoneIfNoAclFound: boolean;
}

const O = AclOperation;
/** The operations whose ALLOW also allows the key operation. */
const IMPLIED_BY: ReadonlyMap<number, readonly number[]> = new Map([
  [O.DESCRIBE, [O.DESCRIBE, O.READ, O.WRITE, O.DELETE, O.ALTER, O.ALL]],
  [O.DESCRIBE_CONFIGS, [O.DESCRIBE_CONFIGS, O.ALTER_CONFIGS, O.ALL]],
]);

export class AclAuthorizer implements Authorizer {
  private readonly byKey = new Map<string, AclBinding>();
  private readonly index = new Map<number, TypeIndex>();
  private readonly superUsers: ReadonlySet<string>;

  constructor(private readonly options: AclAuthorizerOptions, initial: readonly AclBinding[] = []) {
    this.superUsers = new Set(options.superUsers);
    for (const b of initial) this.add(b);
  }

  get size(): number {
    return this.byKey.size;
  }

  /** Every binding, in insertion order. */
  bindings(): AclBinding[] {
    return [...this.byKey.values()];
  }

  /** Adds a binding; false when an identical one exists already. */
  add(b: AclBinding): boolean {
    const key = bindingKey(b);
    if (this.byKey.has(key)) return false;
    const copy = { ...b };
    this.byKey.set(key, copy);
    const ti = this.typeIndex(b.resourceType);
    const map = b.patternType === PatternType.PREFIXED ? ti.prefixed : ti.literal;
    const list = map.get(b.resourceName);
    if (list) list.push(copy);
    else map.set(b.resourceName, [copy]);
    if (b.patternType === PatternType.PREFIXED) {
      let node = ti.trie;
      // UTF-16 code units, as authorize() walks the name.
      for (let i = 0; i < b.resourceName.length; i++) {
        const ch = b.resourceName[i]!;
        node.children ??= new Map();
        let next = node.children.get(ch);
        if (!next) node.children.set(ch, (next = { children: null, acls: null }));
        node = next;
      }
      (node.acls ??= []).push(copy);
    }
    return true;
  }

  /** Removes one binding; false when absent. */
  remove(b: AclBinding): boolean {
    const key = bindingKey(b);
    const stored = this.byKey.get(key);
    if (!stored) return false;
    this.byKey.delete(key);
    const ti = this.typeIndex(b.resourceType);
    const map = b.patternType === PatternType.PREFIXED ? ti.prefixed : ti.literal;
    const list = map.get(b.resourceName)!;
    list.splice(list.indexOf(stored), 1);
    if (list.length === 0) map.delete(b.resourceName);
    if (b.patternType === PatternType.PREFIXED) this.trieRemove(ti.trie, b.resourceName.split(''), 0, stored);
    return true;
  }

  /** Removes `acl` from the node `chars` leads to; prunes nodes left empty. True when `node` is now empty. */
  private trieRemove(node: PrefixNode, chars: readonly string[], i: number, acl: AclBinding): boolean {
    if (i === chars.length) {
      if (node.acls) {
        node.acls.splice(node.acls.indexOf(acl), 1);
        if (node.acls.length === 0) node.acls = null;
      }
    } else {
      const child = node.children?.get(chars[i]!);
      if (child && this.trieRemove(child, chars, i + 1, acl)) {
        node.children!.delete(chars[i]!);
        if (node.children!.size === 0) node.children = null;
      }
    }
    return node.acls === null && node.children === null;
  }

  /** The bindings a filter matches (a scan: describe and delete are rare). */
  matching(f: AclFilter): AclBinding[] {
    return this.bindings().filter((b) => filterMatches(f, b));
  }

  authorize(principal: string, operation: AclOperation, resourceType: AclResourceType, resourceName: string, host = WILDCARD): boolean {
    if (this.superUsers.has(principal)) return true;
    const ti = this.index.get(resourceType);
    if (ti === undefined) return this.options.allowEveryoneIfNoAclFound;
    const wildcardPrincipal = principal.startsWith('User:') ? WILDCARD_PRINCIPAL : `${principal.slice(0, principal.indexOf(':'))}:*`;
    const m: Matching = { principal, wildcardPrincipal, host, operation, implied: IMPLIED_BY.get(operation), any: false, allowed: false, denied: false };
    visit(m, ti.literal.get(resourceName));
    if (resourceName !== WILDCARD) visit(m, ti.literal.get(WILDCARD));
    // Every prefix of the name: down the trie as far as its characters lead.
    let node: PrefixNode | undefined = ti.trie;
    for (let i = 0; i < resourceName.length && !m.denied; i++) {
      node = node.children?.get(resourceName[i]!);
      if (node === undefined) break;
      visit(m, node.acls);
    }
    if (m.denied) return false;
    if (!m.any) return this.options.allowEveryoneIfNoAclFound;
    return m.allowed;
  }

  /**
   * Kafka's authorizeByResourceType: a super user, or an ALLOW for the operation (or ALL) on some
   * pattern of the type that no applicable DENY covers (a DENY on `*`, on the same literal name, or
   * on a prefix of the allowed name). With no ACL of the type at all, allow.everyone.if.no.acl.found.
   */
  authorizeByResourceType(principal: string, operation: AclOperation, resourceType: AclResourceType, host = WILDCARD): boolean {
    if (this.superUsers.has(principal)) return true;
    const ti = this.index.get(resourceType);
    if (!ti || (ti.literal.size === 0 && ti.prefixed.size === 0)) return this.options.allowEveryoneIfNoAclFound;
    const applies = (a: AclBinding) => (a.principal === principal || a.principal === WILDCARD_PRINCIPAL) && (a.host === host || a.host === WILDCARD) && (a.operation === operation || a.operation === O.ALL);
    const denied: Array<{ name: string; prefixed: boolean }> = [];
    const allows: Array<{ name: string; prefixed: boolean }> = [];
    for (const [map, prefixed] of [[ti.literal, false], [ti.prefixed, true]] as const) {
      for (const [name, list] of map) {
        for (const a of list) {
          if (!applies(a)) continue;
          (a.permission === AclPermission.DENY ? denied : allows).push({ name, prefixed });
        }
      }
    }
    if (denied.some((d) => !d.prefixed && d.name === WILDCARD)) return false;
    return allows.some((al) => !denied.some((d) => (d.prefixed ? al.name.startsWith(d.name) : !al.prefixed && d.name === al.name)));
  }

  private typeIndex(type: number): TypeIndex {
    let ti = this.index.get(type);
    if (!ti) {
      ti = { literal: new Map(), prefixed: new Map(), trie: { children: null, acls: null } };
      this.index.set(type, ti);
    }
    return ti;
  }
}

/** One check's state while the ACLs that apply to the resource are visited. */
interface Matching {
  readonly principal: string;
  readonly wildcardPrincipal: string;
  readonly host: string;
  readonly operation: number;
  readonly implied: readonly number[] | undefined;
  /** Some ACL (of anyone) names the resource. */
  any: boolean;
  allowed: boolean;
  denied: boolean;
}

function visit(m: Matching, list: readonly AclBinding[] | null | undefined): void {
  if (!list || list.length === 0 || m.denied) return;
  m.any = true;
  for (const a of list) {
    if (a.principal !== m.principal && a.principal !== m.wildcardPrincipal) continue;
    if (a.host !== m.host && a.host !== WILDCARD) continue;
    if (a.permission === AclPermission.DENY) {
      if (a.operation === m.operation || a.operation === O.ALL) {
        m.denied = true;
        return;
      }
    } else if (!m.allowed && (a.operation === m.operation || a.operation === O.ALL || (m.implied !== undefined && m.implied.includes(a.operation)))) {
      m.allowed = true;
    }
  }
}
