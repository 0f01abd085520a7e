// npm run typegen — regenerates lib/zapatos/schema.d.ts (zapatos types of the migrated schema) from a
// migrated database. npm test calls zapatosIsCurrent() and fails when the committed file is stale.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { generate } from 'zapatos/generate';
import { projectRoot } from '../lib/config.ts';

const committedDir = path.join(projectRoot, 'lib');
const schemaFile = (dir: string) => path.join(dir, 'zapatos/schema.d.ts');

async function generateInto(connectionString: string, outDir: string): Promise<void> {
  await generate({
    db: { connectionString },
    outDir,
    schemas: {
      app_public: { include: '*', exclude: [] },
      app_hidden: { include: '*', exclude: [] },
      app_private: { include: '*', exclude: [] },
    },
    progressListener: false,
    warningListener: false,
    schemaJSDoc: false,
  });
  // zapatos also writes a copy of its own runtime sources; only the schema types are ours to keep.
  for (const entry of fs.readdirSync(path.join(outDir, 'zapatos'))) {
    if (entry !== 'schema.d.ts') fs.rmSync(path.join(outDir, 'zapatos', entry), { recursive: true, force: true });
  }
}

export async function zapatosIsCurrent(connectionString: string): Promise<boolean> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'boxoffice-zapatos-'));
  try {
    await generateInto(connectionString, dir);
    const fresh = fs.readFileSync(schemaFile(dir), 'utf8');
    const committed = fs.existsSync(schemaFile(committedDir)) ? fs.readFileSync(schemaFile(committedDir), 'utf8') : '';
    return fresh === committed;
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const url = process.env.DATABASE_URL;
  if (!url) {
    console.error('typegen needs DATABASE_URL of a migrated database (e.g. run `npm run db:migrate` first).');
    process.exit(2);
  }
  await generateInto(url, committedDir);
  console.log(`wrote ${path.relative(projectRoot, schemaFile(committedDir))}`);
}
