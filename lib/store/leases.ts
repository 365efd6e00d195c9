import { DeleteCommand, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { ddb, tableName } from '../aws.js';
import { isConditionFailure } from './db.js';
import { keys, TTL_ATTRIBUTE } from './keys.js';

// A lease is a conditional write with an owner and an expiry: whoever writes it first refreshes;
// an expired lease (its holder crashed) can be taken over. TTL cleans up leftovers.

export async function acquireLease(
  tenantId: string,
  tokenId: string,
  owner: string,
  ms: number,
): Promise<boolean> {
  const now = Date.now();
  try {
    await ddb.send(
      new PutCommand({
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
      }),
    );
    return true;
  } catch (err) {
    if (isConditionFailure(err)) return false;
    throw err;
  }
}

export async function releaseLease(tenantId: string, tokenId: string, owner: string): Promise<void> {
  try {
    await ddb.send(
      new DeleteCommand({
        TableName: tableName,
        Key: keys.refreshLease(tenantId, tokenId),
        ConditionExpression: '#owner = :owner',
        ExpressionAttributeNames: { '#owner': 'owner' },
        ExpressionAttributeValues: { ':owner': owner },
      }),
    );
  } catch (err) {
    // Someone took over an expired lease: theirs now.
    if (!isConditionFailure(err)) throw err;
  }
}

export async function leaseHeld(tenantId: string, tokenId: string): Promise<boolean> {
  const out = await ddb.send(
    new GetCommand({ TableName: tableName, Key: keys.refreshLease(tenantId, tokenId), ConsistentRead: true }),
  );
  return out.Item !== undefined && (out.Item.lease_until as number) >= Date.now();
}
