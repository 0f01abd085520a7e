// npm run admin -- grant <email> | revoke <email> | list — manages who is an admin, in the database
// `npm start` uses (DATABASE_URL, else the embedded server). The user must have signed in once.
// Admin rights take effect on the user's requests within seconds (server/auth.ts caches briefly).
import { loadConfig } from '../lib/config.ts';
import { resolveDatabase } from '../lib/database.ts';
import { createPool } from '../lib/db.ts';
import { grantAdmin, listAdmins, revokeAdmin } from '../lib/admins.ts';
import { migrateDatabase } from '../lib/migrate.ts';

const [command, email] = process.argv.slice(2);
if (!(command === 'list' || ((command === 'grant' || command === 'revoke') && email))) {
  console.error('usage: npm run admin -- grant <email> | revoke <email> | list');
  process.exit(2);
}

const config = loadConfig();
const db = await resolveDatabase(config);
let exitCode = 0;
try {
  await migrateDatabase(db.ownerUrl, config.authenticatorPassword, { quiet: true });
  const pool = createPool(db.ownerUrl, 1);
  try {
    if (command === 'grant') {
      const ids = await grantAdmin(pool, email);
      if (ids.length === 0) {
        console.error(`No user with email ${email}: they must sign in once first.`);
        exitCode = 1;
      } else {
        console.log(`${email} is an admin (${ids.length} ${ids.length === 1 ? 'identity' : 'identities'}).`);
      }
    } else if (command === 'revoke') {
      console.log(`${email}: admin rights removed from ${await revokeAdmin(pool, email)} identities.`);
    } else {
      for (const a of await listAdmins(pool)) console.log(`${a.email ?? '(no email)'}\t${a.issuer}\t${a.userId}\tsince ${a.grantedAt.toISOString()}`);
    }
  } finally {
    await pool.end();
  }
} finally {
  await db.stop();
}
process.exit(exitCode);
