// Preloaded (node --import) into the process that runs the reference servers: it keeps
// that process on 127.0.0.1. The servers fetch URLs they are handed (client metadata,
// JWKS, DID documents, handles); a test must never make them reach the network.
//
// - Name lookups answer only the names in TALK_INTEROP_HOSTS (comma-separated), all
//   with 127.0.0.1; every other lookup, and every DNS query (resolve*, TXT records
//   for handles included), fails with ENOTFOUND naming this guard.
// - A connection to an address that is not loopback fails before any packet is sent
//   (an IP literal skips the lookup, so the lookup alone would not be enough).
// - A server that listens without naming a host listens on 127.0.0.1, not on every
//   interface.
import dns from 'node:dns'
import net from 'node:net'

const LOOPBACK = '127.0.0.1'
const mapped = new Set(
  (process.env.TALK_INTEROP_HOSTS ?? 'localhost')
    .split(',')
    .map((name) => name.trim().toLowerCase().replace(/\.$/, ''))
    .filter(Boolean),
)

function isLoopback(address) {
  const family = net.isIP(address)
  if (family === 4) return address.split('.')[0] === '127'
  if (family === 6) {
    const lower = address.toLowerCase()
    return lower === '::1' || /^::ffff:127\./.test(lower)
  }
  return false
}

function refused(host, syscall = 'getaddrinfo') {
  const error = new Error(
    `${syscall} ENOTFOUND ${host} (the interop guard resolves only: ${[...mapped].join(', ')})`,
  )
  error.code = 'ENOTFOUND'
  error.errno = dns.NOTFOUND
  error.syscall = syscall
  error.hostname = host
  return error
}

// What dns.lookup answers for a host: loopback literals as they are, mapped names as
// 127.0.0.1, nothing else.
function answer(host) {
  const name = String(host ?? '').toLowerCase().replace(/\.$/, '')
  if (isLoopback(name)) return { address: name, family: net.isIP(name) }
  if (mapped.has(name)) return { address: LOOPBACK, family: 4 }
  return null
}

function lookup(host, options, callback) {
  if (typeof options === 'function') {
    callback = options
    options = {}
  }
  const all = typeof options === 'object' && options !== null && options.all
  const found = answer(host)
  process.nextTick(() => {
    if (!found) callback(refused(host))
    else if (all) callback(null, [found])
    else callback(null, found.address, found.family)
  })
}

async function lookupPromise(host, options = {}) {
  const found = answer(host)
  if (!found) throw refused(host)
  return typeof options === 'object' && options !== null && options.all ? [found] : found
}

function refuseQueries(target, promised) {
  for (const name of Object.getOwnPropertyNames(target)) {
    if (!/^(resolve|reverse)/.test(name) || typeof target[name] !== 'function') continue
    target[name] = promised
      ? async (host) => {
          throw refused(host, 'query')
        }
      : (host, ...rest) => {
          const callback = rest.at(-1)
          process.nextTick(() => callback(refused(host, 'query')))
        }
  }
}

dns.lookup = lookup
dns.promises.lookup = lookupPromise
refuseQueries(dns, false)
refuseQueries(dns.Resolver.prototype, false)
refuseQueries(dns.promises, true)
refuseQueries(dns.promises.Resolver.prototype, true)

// Every TCP connection (http, https, tls, undici) goes through Socket#connect, with
// (options, cb), (port, host, cb), or net.connect's normalized [options, cb] array.
const connect = net.Socket.prototype.connect
net.Socket.prototype.connect = function guardedConnect(...args) {
  const normalized = Array.isArray(args[0]) ? args[0] : args
  const first = normalized[0]
  const options = typeof first === 'object' && first !== null ? first : null
  if (!options?.path) {
    const host = options ? options.host : typeof normalized[1] === 'string' ? normalized[1] : undefined
    if (host !== undefined && net.isIP(host) && !isLoopback(host)) {
      const error = new Error(`connect EACCES ${host}: the interop guard allows loopback only`)
      error.code = 'EACCES'
      process.nextTick(() => this.destroy(error))
      return this
    }
    // A lookup of the caller's own (an SSRF filter's) is replaced by ours.
    if (options && typeof options.lookup === 'function') options.lookup = lookup
  }
  return connect.apply(this, args)
}

const listen = net.Server.prototype.listen
net.Server.prototype.listen = function loopbackListen(...args) {
  if (typeof args[0] === 'number' || args[0] === undefined) {
    const port = args[0] ?? 0
    const rest = args.slice(1).filter((arg) => typeof arg === 'function')
    return listen.call(this, port, LOOPBACK, ...rest)
  }
  if (typeof args[0] === 'object' && args[0] !== null && !args[0].path && !args[0].host) {
    return listen.call(this, { ...args[0], host: LOOPBACK }, ...args.slice(1))
  }
  return listen.apply(this, args)
}
