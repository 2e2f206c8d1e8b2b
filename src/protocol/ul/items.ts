/**
 * The variable items of A-ASSOCIATE-RQ/AC (PS3.8 §9.3.2.2–9.3.3.3, Tables 9-12 .. 9-20)
 * and the user information sub-items of PS3.7 Annex D.3.3. Internal to `src/protocol/ul/`.
 *
 * Item layout everywhere: type (1), reserved 00H (1), length (2, big endian), value.
 */

import { Cursor, DecodeError, Writer, hex, latin1, stripPadding } from './bytes.ts';
import { ItemType } from './pdu.ts';
import type {
  AssociateAc,
  AssociateRq,
  AsyncOps,
  PresentationContextAc,
  PresentationContextRq,
  RoleSelection,
  SopClassExtendedNegotiation,
  UnknownItem,
  UserIdentityAc,
  UserIdentityRq,
  UserInformation,
} from './pdu.ts';

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

const ITEM_NAMES: Readonly<Record<number, string>> = {
  [ItemType.ApplicationContext]: 'application context item',
  [ItemType.PresentationContextRq]: 'presentation context item',
  [ItemType.PresentationContextAc]: 'presentation context item',
  [ItemType.AbstractSyntax]: 'abstract syntax sub-item',
  [ItemType.TransferSyntax]: 'transfer syntax sub-item',
  [ItemType.UserInformation]: 'user information item',
  [ItemType.MaxLength]: 'maximum length sub-item',
  [ItemType.ImplementationClassUid]: 'implementation class UID sub-item',
  [ItemType.AsyncOps]: 'asynchronous operations window sub-item',
  [ItemType.RoleSelection]: 'SCP/SCU role selection sub-item',
  [ItemType.ImplementationVersionName]: 'implementation version name sub-item',
  [ItemType.SopClassExtendedNegotiation]: 'SOP class extended negotiation sub-item',
  [ItemType.UserIdentityRq]: 'user identity sub-item',
  [ItemType.UserIdentityAc]: 'user identity sub-item',
};

// ─── encoding ────────────────────────────────────────────────────────────────

function writeStringItem(w: Writer, itemType: number, value: string, what: string): void {
  const at = w.beginItem(itemType, what);
  w.latin1(value, what);
  w.endItem(at, what);
}

function writeUnknown(w: Writer, item: UnknownItem): void {
  const at = w.beginItem(item.itemType, 'unknown');
  w.bytes(item.data);
  w.endItem(at, `unknown ${hex(item.itemType)}`);
}

/** A 2-byte length followed by that many bytes (role selection, extended negotiation, user identity). */
function writeLengthPrefixed(w: Writer, data: Uint8Array, what: string): void {
  w.u16(data.length, `${what} length`);
  w.bytes(data);
}

function writeLengthPrefixedString(w: Writer, s: string, what: string): void {
  w.u16(s.length, `${what} length`);
  w.latin1(s, what);
}

function writePresentationContextRq(w: Writer, pc: PresentationContextRq): void {
  const at = w.beginItem(ItemType.PresentationContextRq, 'presentation context');
  w.u8(pc.id, 'presentation context ID');
  w.zeros(3); // reserved ×3 (Table 9-13)
  writeStringItem(w, ItemType.AbstractSyntax, pc.abstractSyntax, 'abstract syntax');
  for (const ts of pc.transferSyntaxes) writeStringItem(w, ItemType.TransferSyntax, ts, 'transfer syntax');
  for (const u of pc.unknownItems ?? []) writeUnknown(w, u);
  w.endItem(at, 'presentation context');
}

function writePresentationContextAc(w: Writer, pc: PresentationContextAc): void {
  const at = w.beginItem(ItemType.PresentationContextAc, 'presentation context');
  w.u8(pc.id, 'presentation context ID');
  w.u8(0, 'reserved');
  w.u8(pc.result, 'presentation context result');
  w.u8(0, 'reserved'); // Table 9-18
  if (pc.transferSyntax !== undefined) {
    writeStringItem(w, ItemType.TransferSyntax, pc.transferSyntax, 'transfer syntax');
  }
  for (const u of pc.unknownItems ?? []) writeUnknown(w, u);
  w.endItem(at, 'presentation context');
}

/**
 * Known sub-items go out in ascending type order (0x51, 0x52, … 0x59, as PS3.7 D.3.3 lists
 * them). Unknown sub-items keep their relative order and are merged in by type, so a 0x57
 * lands between 0x56 and 0x58, after any known sub-item of its own type: decoding then
 * re-encoding never reorders unknown sub-items and never mistakes one for a known one.
 */
function writeUserInformation(w: Writer, ui: UserInformation): void {
  const parts: { readonly type: number; readonly write: () => void }[] = [];
  const sub = (type: number, what: string, body: () => void): void => {
    parts.push({
      type,
      write: () => {
        const at = w.beginItem(type, what);
        body();
        w.endItem(at, what);
      },
    });
  };
  if (ui.maxLength !== undefined) {
    const v = ui.maxLength;
    sub(ItemType.MaxLength, 'maximum length', () => w.u32(v, 'maximum length'));
  }
  if (ui.implementationClassUid !== undefined) {
    const v = ui.implementationClassUid;
    sub(ItemType.ImplementationClassUid, 'implementation class UID', () => w.latin1(v, 'implementation class UID'));
  }
  if (ui.asyncOps !== undefined) {
    const v = ui.asyncOps;
    sub(ItemType.AsyncOps, 'asynchronous operations window', () => {
      w.u16(v.maxInvoked, 'maximum operations invoked');
      w.u16(v.maxPerformed, 'maximum operations performed');
    });
  }
  for (const r of ui.roleSelections) {
    sub(ItemType.RoleSelection, 'role selection', () => {
      writeLengthPrefixedString(w, r.sopClassUid, 'role selection SOP class UID');
      w.u8(r.scuRole, 'SCU role');
      w.u8(r.scpRole, 'SCP role');
    });
  }
  if (ui.implementationVersionName !== undefined) {
    const v = ui.implementationVersionName;
    sub(ItemType.ImplementationVersionName, 'implementation version name', () =>
      w.latin1(v, 'implementation version name'),
    );
  }
  for (const e of ui.extendedNegotiations) {
    sub(ItemType.SopClassExtendedNegotiation, 'SOP class extended negotiation', () => {
      writeLengthPrefixedString(w, e.sopClassUid, 'extended negotiation SOP class UID');
      w.bytes(e.applicationInformation);
    });
  }
  if (ui.userIdentityRq !== undefined) {
    const v = ui.userIdentityRq;
    sub(ItemType.UserIdentityRq, 'user identity', () => {
      w.u8(v.identityType, 'user identity type');
      w.u8(v.positiveResponseRequested ? 1 : 0, 'positive response requested');
      writeLengthPrefixed(w, v.primaryField, 'user identity primary field');
      writeLengthPrefixed(w, v.secondaryField, 'user identity secondary field');
    });
  }
  if (ui.userIdentityAc !== undefined) {
    const v = ui.userIdentityAc;
    sub(ItemType.UserIdentityAc, 'user identity', () =>
      writeLengthPrefixed(w, v.serverResponse, 'user identity server response'),
    );
  }

  const at = w.beginItem(ItemType.UserInformation, 'user information');
  // Already in ascending order: the known sub-items were pushed in type order above.
  let k = 0;
  const writeKnownUpTo = (type: number): void => {
    for (let p = parts[k]; p !== undefined && p.type <= type; p = parts[++k]) p.write();
  };
  for (const u of ui.unknownItems) {
    writeKnownUpTo(u.itemType);
    writeUnknown(w, u);
  }
  writeKnownUpTo(Infinity);
  w.endItem(at, 'user information');
}

/** The variable field of A-ASSOCIATE-RQ/AC: application context, presentation contexts, user information, then unknown items. */
export function writeAssociateItems(w: Writer, pdu: AssociateRq | AssociateAc): void {
  if (pdu.applicationContext !== undefined) {
    writeStringItem(w, ItemType.ApplicationContext, pdu.applicationContext, 'application context');
  }
  if (pdu.type === 'A-ASSOCIATE-RQ') {
    for (const pc of pdu.presentationContexts) writePresentationContextRq(w, pc);
  } else {
    for (const pc of pdu.presentationContexts) writePresentationContextAc(w, pc);
  }
  if (pdu.userInformation !== undefined) writeUserInformation(w, pdu.userInformation);
  for (const u of pdu.unknownItems) writeUnknown(w, u);
}

// ─── decoding ────────────────────────────────────────────────────────────────

/** Walks a list of items filling `cur` exactly; an overrun or a torn item header is a DecodeError. */
function forEachItem(cur: Cursor, visit: (itemType: number, body: Cursor) => void): void {
  while (cur.remaining > 0) {
    if (cur.remaining < 4) {
      throw new DecodeError(`${cur.remaining} trailing bytes in ${cur.context}, too few for an item header`);
    }
    const itemType = cur.u8('item type');
    cur.skip(1, 'reserved');
    const length = cur.u16('item length');
    if (length > cur.remaining) {
      throw new DecodeError(
        `item ${hex(itemType)} length ${length} exceeds remaining ${cur.remaining} bytes in ${cur.context}`,
      );
    }
    visit(itemType, cur.sub(length, `${ITEM_NAMES[itemType] ?? `item ${hex(itemType)}`} in ${cur.context}`));
  }
}

function unknown(itemType: number, body: Cursor): UnknownItem {
  return { itemType, data: body.copy(body.remaining, 'item value') };
}

function readUid(body: Cursor): string {
  return stripPadding(latin1(body.take(body.remaining, 'UID')));
}

function readLengthPrefixed(body: Cursor, what: string): Uint8Array {
  const n = body.u16(`${what} length`);
  return body.copy(n, what);
}

function readPresentationContextRq(body: Cursor): PresentationContextRq {
  if (body.remaining < 4) {
    throw new DecodeError(`${body.context} has length ${body.remaining}, expected at least 4`);
  }
  const id = body.u8('presentation context ID');
  body.skip(3, 'reserved');
  let abstractSyntax: string | undefined;
  const transferSyntaxes: string[] = [];
  const unknownItems: UnknownItem[] = [];
  forEachItem(body, (type, sub) => {
    if (type === ItemType.AbstractSyntax && abstractSyntax === undefined) abstractSyntax = readUid(sub);
    else if (type === ItemType.TransferSyntax) transferSyntaxes.push(readUid(sub));
    else unknownItems.push(unknown(type, sub));
  });
  if (abstractSyntax === undefined) {
    throw new DecodeError(`presentation context ${id} has no abstract syntax sub-item`);
  }
  const pc: Mutable<PresentationContextRq> = { id, abstractSyntax, transferSyntaxes };
  if (unknownItems.length > 0) pc.unknownItems = unknownItems;
  return pc;
}

function readPresentationContextAc(body: Cursor): PresentationContextAc {
  if (body.remaining < 4) {
    throw new DecodeError(`${body.context} has length ${body.remaining}, expected at least 4`);
  }
  const id = body.u8('presentation context ID');
  body.skip(1, 'reserved');
  const result = body.u8('result/reason');
  body.skip(1, 'reserved');
  const pc: Mutable<PresentationContextAc> = { id, result };
  const unknownItems: UnknownItem[] = [];
  forEachItem(body, (type, sub) => {
    if (type === ItemType.TransferSyntax && pc.transferSyntax === undefined) pc.transferSyntax = readUid(sub);
    else unknownItems.push(unknown(type, sub));
  });
  if (unknownItems.length > 0) pc.unknownItems = unknownItems;
  return pc;
}

function readUserInformation(body: Cursor): UserInformation {
  const roleSelections: RoleSelection[] = [];
  const extendedNegotiations: SopClassExtendedNegotiation[] = [];
  const unknownItems: UnknownItem[] = [];
  const ui: Mutable<UserInformation> = { roleSelections, extendedNegotiations, unknownItems };
  forEachItem(body, (type, sub) => {
    switch (type) {
      case ItemType.MaxLength:
        if (ui.maxLength !== undefined) break;
        if (sub.remaining !== 4) throw new DecodeError(`${sub.context} has length ${sub.remaining}, expected 4`);
        ui.maxLength = sub.u32('maximum length');
        return;
      case ItemType.ImplementationClassUid:
        if (ui.implementationClassUid !== undefined) break;
        ui.implementationClassUid = readUid(sub);
        return;
      case ItemType.AsyncOps: {
        if (ui.asyncOps !== undefined) break;
        if (sub.remaining !== 4) throw new DecodeError(`${sub.context} has length ${sub.remaining}, expected 4`);
        const asyncOps: AsyncOps = {
          maxInvoked: sub.u16('maximum operations invoked'),
          maxPerformed: sub.u16('maximum operations performed'),
        };
        ui.asyncOps = asyncOps;
        return;
      }
      case ItemType.RoleSelection: {
        const uidLength = sub.u16('SOP class UID length');
        const sopClassUid = stripPadding(latin1(sub.take(uidLength, 'SOP class UID')));
        const scuRole = sub.u8('SCU role');
        const scpRole = sub.u8('SCP role');
        sub.expectEnd();
        roleSelections.push({ sopClassUid, scuRole, scpRole });
        return;
      }
      case ItemType.ImplementationVersionName:
        if (ui.implementationVersionName !== undefined) break;
        ui.implementationVersionName = stripPadding(latin1(sub.take(sub.remaining, 'name')));
        return;
      case ItemType.SopClassExtendedNegotiation: {
        const uidLength = sub.u16('SOP class UID length');
        const sopClassUid = stripPadding(latin1(sub.take(uidLength, 'SOP class UID')));
        extendedNegotiations.push({ sopClassUid, applicationInformation: sub.copy(sub.remaining, 'info') });
        return;
      }
      case ItemType.UserIdentityRq: {
        if (ui.userIdentityRq !== undefined) break;
        const identityType = sub.u8('user identity type');
        const positiveResponseRequested = sub.u8('positive response requested') !== 0;
        const primaryField = readLengthPrefixed(sub, 'primary field');
        const secondaryField = readLengthPrefixed(sub, 'secondary field');
        sub.expectEnd();
        const v: UserIdentityRq = { identityType, positiveResponseRequested, primaryField, secondaryField };
        ui.userIdentityRq = v;
        return;
      }
      case ItemType.UserIdentityAc: {
        if (ui.userIdentityAc !== undefined) break;
        const serverResponse = readLengthPrefixed(sub, 'server response');
        sub.expectEnd();
        const v: UserIdentityAc = { serverResponse };
        ui.userIdentityAc = v;
        return;
      }
    }
    // Unknown types (including 0x57) and repeats of single-valued sub-items: kept verbatim.
    unknownItems.push(unknown(type, sub));
  });
  return ui;
}

export interface AssociateItems {
  applicationContext?: string;
  presentationContextsRq: PresentationContextRq[];
  presentationContextsAc: PresentationContextAc[];
  userInformation?: UserInformation;
  unknownItems: UnknownItem[];
}

/**
 * Reads the variable field of an A-ASSOCIATE-RQ (`rq`) or -AC. Items that do not belong
 * in this PDU (a 0x21 in an RQ, …) and repeats of single items are kept in `unknownItems`.
 */
export function readAssociateItems(cur: Cursor, rq: boolean): AssociateItems {
  const out: AssociateItems = { presentationContextsRq: [], presentationContextsAc: [], unknownItems: [] };
  forEachItem(cur, (type, body) => {
    if (type === ItemType.ApplicationContext && out.applicationContext === undefined) {
      out.applicationContext = readUid(body);
    } else if (type === ItemType.PresentationContextRq && rq) {
      out.presentationContextsRq.push(readPresentationContextRq(body));
    } else if (type === ItemType.PresentationContextAc && !rq) {
      out.presentationContextsAc.push(readPresentationContextAc(body));
    } else if (type === ItemType.UserInformation && out.userInformation === undefined) {
      out.userInformation = readUserInformation(body);
    } else {
      out.unknownItems.push(unknown(type, body));
    }
  });
  return out;
}
