// Starts the reference Bluesky servers for the interop tests, both in this process and
// on 127.0.0.1: a PLC directory (@did-plc/server, in memory) and a PDS (@atproto/pds,
// dev mode, SQLite in a temporary directory). Prints one line of JSON when both answer,
// then runs until SIGTERM/SIGINT or until its standard input closes (the test process
// died), stops both and removes the temporary directory.
//
//   node --import ./loopback-only.mjs launch-servers.mjs NODE_MODULES_DIR
//
// The ready line: {"ready": true, "plc": URL, "pds": URL, "handle_domain": ".test",
//                  "data_directory": DIR, "admin_password": ..., "started_ms": N}
// The data directory is there for tests to read the PDS's own record of live grants.
// The admin password is made here for this run and only unlocks this throwaway PDS.
// How @atproto/dev-env starts its TestPlc/TestPds was read for the configuration
// (dev mode, hostname localhost, inviteRequired false, service handle domains).
import crypto from 'node:crypto'
import fs from 'node:fs/promises'
import net from 'node:net'
import os from 'node:os'
import path from 'node:path'
import { createRequire } from 'node:module'
import { pathToFileURL } from 'node:url'

const started = performance.now()
const depsDir = process.argv[2]
if (!depsDir) {
  process.stderr.write('usage: launch-servers.mjs NODE_MODULES_DIR\n')
  process.exit(2)
}
const require = createRequire(path.join(path.resolve(depsDir), 'package.json'))
const load = async (name) => import(pathToFileURL(require.resolve(name)).href)

// A free port on 127.0.0.1. The PDS must know its port before it starts (its issuer
// and DID documents name it); the PLC takes any (port 0).
function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address()
      server.close(() => resolve(port))
    })
  })
}

// The PDS's PLC rotation key: a secp256k1 private key as 32 bytes of hex.
function secp256k1Hex() {
  const { privateKey } = crypto.generateKeyPairSync('ec', { namedCurve: 'secp256k1' })
  return Buffer.from(privateKey.export({ format: 'jwk' }).d, 'base64url').toString('hex')
}

const stoppers = []
let stopping = null
function stop(code) {
  stopping ??= (async () => {
    for (const step of stoppers.reverse()) {
      try {
        await step()
      } catch (error) {
        process.stderr.write(`interop servers: while stopping: ${error}\n`)
        code ||= 1
      }
    }
    process.exit(code)
  })()
  return stopping
}
process.on('SIGTERM', () => stop(0))
process.on('SIGINT', () => stop(0))
process.stdin.on('end', () => stop(0))
process.stdin.on('error', () => stop(0))
process.stdin.resume()

try {
  const dataDirectory = await fs.mkdtemp(path.join(os.tmpdir(), 'talk-interop-pds-'))
  stoppers.push(() => fs.rm(dataDirectory, { recursive: true, force: true }))

  const plcModule = await load('@did-plc/server')
  const plcLib = plcModule.default ?? plcModule
  const plc = plcLib.PlcServer.create({ db: plcLib.Database.mock(), port: 0 })
  const plcListener = await plc.start()
  stoppers.push(() => plc.destroy())
  const plcUrl = `http://localhost:${plcListener.address().port}`

  const { PDS } = await load('@atproto/pds')
  const port = await freePort()
  const adminPassword = crypto.randomBytes(18).toString('base64url')
  const pds = await PDS.fromEnv({
    devMode: true,
    hostname: 'localhost',
    port,
    didPlcUrl: plcUrl,
    dataDirectory,
    blobstoreDiskLocation: path.join(dataDirectory, 'blobs'),
    serviceHandleDomains: ['.test'],
    inviteRequired: false,
    adminPassword,
    jwtSecret: crypto.randomBytes(32).toString('hex'),
    plcRotationKeyK256PrivateKeyHex: secp256k1Hex(),
    serviceName: 'Interop PDS',
  })
  await pds.start()
  stoppers.push(() => pds.destroy())

  const pdsUrl = `http://localhost:${port}`
  const health = await fetch(`${pdsUrl}/xrpc/_health`)
  if (!health.ok) throw new Error(`the PDS answered its health check with HTTP ${health.status}`)
  process.stdout.write(
    JSON.stringify({
      ready: true,
      plc: plcUrl,
      pds: pdsUrl,
      handle_domain: '.test',
      data_directory: dataDirectory,
      admin_password: adminPassword,
      started_ms: Math.round(performance.now() - started),
    }) + '\n',
  )
} catch (error) {
  process.stderr.write(`interop servers: failed to start: ${error?.stack ?? error}\n`)
  await stop(1)
}
