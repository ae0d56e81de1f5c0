package itty

import (
	"net/http"
	"net/netip"
	"strings"
)

// This file holds what the App believes of the reverse proxies in front of
// it. A proxy that terminates TLS and forwards the request hides two facts
// from the app: the client's address (RemoteAddr is the proxy's) and the
// scheme the client used (the proxy talks plain HTTP to the app). Proxies
// pass them on in X-Forwarded-For and X-Forwarded-Proto. Any client can
// send those headers too, so they are read only from a request whose peer
// is one of App.TrustedProxies, and X-Forwarded-For only from its right
// end: each trusted proxy appends the address it was reached from, so the
// first entry from the right that is not a trusted proxy is the client,
// and everything left of it is what the client claimed.

// ClientAddr returns the address of the client that sent r, without a port
// or an IPv6 zone, and with an IPv4-mapped IPv6 address unmapped.
//
// It is the peer's address (r.RemoteAddr) unless the peer is one of
// a.TrustedProxies. Then X-Forwarded-For (all of its header lines, as one
// comma-separated list) is read from its right end: each entry that is a
// trusted proxy is skipped, and the first that is not is the client.
// Entries left of it were written by the client and are never believed. An
// entry that is not an address (empty, "unknown", an obfuscated name) ends
// the walk at the trusted proxy that passed it on, which is returned; so is
// the leftmost entry when every entry is a trusted proxy, and the peer when
// there is no X-Forwarded-For. A nil App trusts no proxy. The zero Addr
// means r.RemoteAddr holds no address (a Unix socket, or a request built by
// hand).
func (a *App) ClientAddr(r *http.Request) netip.Addr {
	addr := parseAddr(r.RemoteAddr)
	if !a.trusts(addr) {
		return addr
	}
	lines := r.Header["X-Forwarded-For"]
	for i := len(lines) - 1; i >= 0; i-- {
		rest := lines[i]
		for {
			entry := rest
			cut := strings.LastIndexByte(rest, ',')
			if cut >= 0 {
				entry, rest = rest[cut+1:], rest[:cut]
			}
			hop := parseAddr(strings.TrimSpace(entry))
			if !hop.IsValid() {
				return addr
			}
			addr = hop
			if !a.trusts(addr) {
				return addr
			}
			if cut < 0 {
				break
			}
		}
	}
	return addr
}

// IsSecure reports whether the client reached the app over TLS: r came over
// TLS to this server, or its peer is one of a.TrustedProxies and the last
// X-Forwarded-Proto value, the one the nearest proxy set, is "https" (in
// any case). A nil App trusts no proxy.
func (a *App) IsSecure(r *http.Request) bool {
	if r.TLS != nil {
		return true
	}
	lines := r.Header["X-Forwarded-Proto"]
	if len(lines) == 0 || !a.trusts(parseAddr(r.RemoteAddr)) {
		return false
	}
	last := lines[len(lines)-1]
	if cut := strings.LastIndexByte(last, ','); cut >= 0 {
		last = last[cut+1:]
	}
	return strings.EqualFold(strings.TrimSpace(last), "https")
}

// trusts reports whether addr, unmapped, is one of a's trusted proxies. A
// prefix written in IPv4-mapped form (::ffff:10.0.0.0/104) stands for its
// IPv4 network, as the addresses it is compared with are unmapped.
func (a *App) trusts(addr netip.Addr) bool {
	if a == nil || !addr.IsValid() {
		return false
	}
	for _, p := range a.TrustedProxies {
		if ip := p.Addr(); ip.Is4In6() && p.Bits() >= 96 {
			p = netip.PrefixFrom(ip.Unmap(), p.Bits()-96)
		}
		if p.Contains(addr) {
			return true
		}
	}
	return false
}

// parseAddr returns the address in s, which may carry a port ("192.0.2.1:80",
// "[2001:db8::1]:80"), brackets or a zone, as RemoteAddr and the entries of
// X-Forwarded-For do; the zero Addr if s holds none. The form is told from
// the brackets and colons first, so that a valid s costs no failed parse,
// whose error would be allocated.
func parseAddr(s string) netip.Addr {
	var addr netip.Addr
	var err error
	switch {
	case strings.HasPrefix(s, "[") && strings.HasSuffix(s, "]"):
		addr, err = netip.ParseAddr(s[1 : len(s)-1])
	case strings.HasPrefix(s, "[") || strings.Count(s, ":") == 1:
		var ap netip.AddrPort
		ap, err = netip.ParseAddrPort(s)
		addr = ap.Addr()
	default:
		addr, err = netip.ParseAddr(s)
	}
	if err != nil {
		return netip.Addr{}
	}
	return addr.WithZone("").Unmap()
}
