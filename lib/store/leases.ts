import { tableName } from '../aws.js';
import { type Companion, getConsistent, write } from './db.js';
import { keys, TTL_ATTRIBUTE } from './keys.js';

// A lease is a conditional write with an owner and an expiry: whoever writes it first refreshes;
// an expired lease (its holder crashed) can be taken over. TTL cleans up leftovers.

export async function acquireLease(
  tenantId: string,
  tokenId: string,
  owner: string,
  ms: number,
  also: Companion[] = [],
): Promise<boolean> {
  const now = Date.now();
  const r = await write(
    [
      {
        Put: {
          TableName: tableName,
          Item: {
            ...keys.refreshLease(tenantId, tokenId),
            type: 'lease',
            owner,
            lease_until: now + ms,
            [TTL_ATTRIBUTE]: Math.ceil((now + ms) / 1000) + 3600,
          },
          ConditionExpression: 'attribute_not_exists(PK) OR lease_until < :now',
          ExpressionAttributeValues: { ':now': now },
        },
      },
    ],
    also,
  );
  return r.ok;
}

export async function releaseLease(
  tenantId: string,
  tokenId: string,
  owner: string,
  also: Companion[] = [],
): Promise<void> {
  // Someone took over an expired lease: theirs now (the condition fails, nothing is deleted).
  await write(
    [
      {
        Delete: {
          TableName: tableName,
          Key: keys.refreshLease(tenantId, tokenId),
          ConditionExpression: '#owner = :owner',
          ExpressionAttributeNames: { '#owner': 'owner' },
          ExpressionAttributeValues: { ':owner': owner },
        },
      },
    ],
    also,
  );
}

export async function leaseHeld(tenantId: string, tokenId: string): Promise<boolean> {
  const item = await getConsistent(keys.refreshLease(tenantId, tokenId));
  return item !== undefined && (item.lease_until as number) >= Date.now();
}
