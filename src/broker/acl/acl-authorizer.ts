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
 * ACLs are indexed by resource type, then literal name or prefix, so a check costs a few map
 * lookups (one per distinct prefix length), not a scan of every ACL.
 */
import { AclOperation, type AclResourceType, type Authorizer } from '../authorization.js';
import { AclPermission, bindingKey, filterMatches, PatternType, WILDCARD, WILDCARD_PRINCIPAL, type AclBinding, type AclFilter } from './acl.js';

/** Kafka's authorizer class names that enable this authorizer (authorizer.class.name). */
export const STANDARD_AUTHORIZER_CLASS = 'org.apache.kafka.metadata.authorizer.StandardAuthorizer';
export const ACCEPTED_AUTHORIZER_CLASSES: readonly string[] = [STANDARD_AUTHORIZER_CLASS, 'kafka.security.authorizer.AclAuthorizer'];

interface TypeIndex {
  literal: Map<string, AclBinding[]>;
  prefixed: Map<string, AclBinding[]>;
  /** The lengths of the stored prefixes, each with how many prefixes have it. */
  prefixLengths: Map<number, number>;
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
    if (b.patternType === PatternType.PREFIXED && !list) ti.prefixLengths.set(b.resourceName.length, (ti.prefixLengths.get(b.resourceName.length) ?? 0) + 1);
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
    if (list.length === 0) {
      map.delete(b.resourceName);
      if (b.patternType === PatternType.PREFIXED) {
        const n = ti.prefixLengths.get(b.resourceName.length)! - 1;
        if (n === 0) ti.prefixLengths.delete(b.resourceName.length);
        else ti.prefixLengths.set(b.resourceName.length, n);
      }
    }
    return true;
  }

  /** The bindings a filter matches (a scan: describe and delete are rare). */
  matching(f: AclFilter): AclBinding[] {
    return this.bindings().filter((b) => filterMatches(f, b));
  }

  authorize(principal: string, operation: AclOperation, resourceType: AclResourceType, resourceName: string, host = WILDCARD): boolean {
    if (this.superUsers.has(principal)) return true;
    const ti = this.index.get(resourceType);
    let any = false;
    let allowed = false;
    const implied = IMPLIED_BY.get(operation);
    const wildcardPrincipal = principal.startsWith('User:') ? WILDCARD_PRINCIPAL : `${principal.slice(0, principal.indexOf(':'))}:*`;
    const visit = (list: readonly AclBinding[] | undefined): boolean => {
      if (!list) return false;
      any = true;
      for (const a of list) {
        if (a.principal !== principal && a.principal !== wildcardPrincipal) continue;
        if (a.host !== host && a.host !== WILDCARD) continue;
        if (a.permission === AclPermission.DENY) {
          if (a.operation === operation || a.operation === O.ALL) return true;
        } else if (!allowed && (a.operation === operation || a.operation === O.ALL || (implied !== undefined && implied.includes(a.operation)))) {
          allowed = true;
        }
      }
      return false;
    };
    if (ti) {
      if (visit(ti.literal.get(resourceName))) return false;
      if (resourceName !== WILDCARD && visit(ti.literal.get(WILDCARD))) return false;
      for (const len of ti.prefixLengths.keys()) {
        if (len <= resourceName.length && visit(ti.prefixed.get(resourceName.slice(0, len)))) return false;
      }
    }
    if (!any) return this.options.allowEveryoneIfNoAclFound;
    return allowed;
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
      ti = { literal: new Map(), prefixed: new Map(), prefixLengths: new Map() };
      this.index.set(type, ti);
    }
    return ti;
  }
}
