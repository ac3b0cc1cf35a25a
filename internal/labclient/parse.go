package labclient

import (
	"errors"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
)

// parseResolvConf reads the nameserver and search lines of a
// resolv.conf(5) file; other lines are ignored. A nameserver that is not
// an IP address is an error.
func parseResolvConf(b []byte, src Source) (Resolver, error) {
	var r Resolver
	for i, line := range strings.Split(string(b), "\n") {
		n := i + 1
		f := strings.Fields(line)
		if len(f) == 0 || strings.HasPrefix(f[0], "#") || strings.HasPrefix(f[0], ";") {
			continue
		}
		switch f[0] {
		case "nameserver":
			if len(f) < 2 {
				return Resolver{}, fmt.Errorf("%w: line %d: nameserver without address", ErrState, n)
			}
			a, err := netip.ParseAddr(f[1])
			if err != nil {
				return Resolver{}, fmt.Errorf("%w: line %d: %w", ErrState, n, err)
			}
			r.Servers = append(r.Servers, Server{Addr: a, Source: src})
		case "search", "domain":
			// The last search or domain line wins (resolv.conf(5)).
			r.Domains = nil
			for _, d := range f[1:] {
				r.Domains = append(r.Domains, Domain{Name: strings.TrimSuffix(d, "."), Source: src})
			}
		}
	}
	return r, nil
}

// parseEnv parses KEY=VALUE lines, as env(1) prints them and as
// systemd-networkd writes its state files. Lines without '=' and comment
// lines are skipped; a later key overrides an earlier one.
func parseEnv(b []byte) map[string]string {
	m := map[string]string{}
	for _, line := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(line, "#") {
			continue
		}
		k, v, ok := strings.Cut(line, "=")
		if ok && k != "" {
			m[k] = v
		}
	}
	return m
}

// fromLists builds a Resolver from whitespace-separated lists of server
// addresses and domains.
func fromLists(servers, domains string, src Source) (Resolver, error) {
	var r Resolver
	for _, f := range strings.Fields(servers) {
		a, err := netip.ParseAddr(f)
		if err != nil {
			return Resolver{}, fmt.Errorf("%w: %w", ErrState, err)
		}
		r.Servers = append(r.Servers, Server{Addr: a, Source: src})
	}
	for _, f := range strings.Fields(domains) {
		r.Domains = append(r.Domains, Domain{Name: strings.TrimSuffix(f, "."), Source: src})
	}
	return r, nil
}

// dhcp6cInfoRE matches what "dhcp6c -i" prints for each server and
// domain (info_printf in WIDE dhcp6c.c), also inside its debug log lines.
var dhcp6cInfoRE = regexp.MustCompile(`(nameserver|Domain search list)\[\d+\] (\S+)`)

// parseDHCP6CInfo parses the standard output of "dhcp6c -i".
func parseDHCP6CInfo(b []byte) (Resolver, error) {
	var r Resolver
	for _, m := range dhcp6cInfoRE.FindAllSubmatch(b, -1) {
		v := string(m[2])
		if string(m[1]) == "nameserver" {
			a, err := netip.ParseAddr(v)
			if err != nil {
				return Resolver{}, fmt.Errorf("%w: %w", ErrState, err)
			}
			r.Servers = append(r.Servers, Server{Addr: a, Source: SourceDHCPv6})
			continue
		}
		r.Domains = append(r.Domains, Domain{Name: strings.TrimSuffix(v, "."), Source: SourceDHCPv6})
	}
	return r, nil
}

// readOptional returns the file's content, or nil if it does not exist.
func readOptional(path string) ([]byte, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrState, err)
	}
	return b, nil
}

// readResolvConf reads and parses the resolv.conf at path, whose
// entries come from src; a missing file is an empty Resolver.
func readResolvConf(path string, src Source) (Resolver, error) {
	b, err := readOptional(path)
	if err != nil {
		return Resolver{}, err
	}
	return parseResolvConf(b, src)
}

// hookEnvPattern matches the files the hook script writes.
const hookEnvPattern = "hook-*.env"

// latestHookEnv returns the environment of the newest hook run recorded
// in dir, or nil if the hook has not run. File names start with the time
// in nanoseconds, so lexical order is time order.
func latestHookEnv(dir string) (map[string]string, error) {
	files, err := filepath.Glob(filepath.Join(dir, hookEnvPattern))
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrState, err)
	}
	if len(files) == 0 {
		return nil, nil
	}
	slices.Sort(files)
	b, err := os.ReadFile(files[len(files)-1])
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrState, err)
	}
	return parseEnv(b), nil
}

// writeHook writes an executable hook script into dir that records its
// environment in a new file per run; latestHookEnv reads them back.
func writeHook(dir string) (string, error) {
	path := filepath.Join(dir, "hook.sh")
	script := "#!/bin/sh\n" +
		"# Written by ralab labclient: records the client's hook environment.\n" +
		"f=" + shellQuote(dir) + "/hook-$(date +%s%N)-$$.env\n" +
		"env > \"$f.tmp\" && mv \"$f.tmp\" \"$f\"\n"
	if err := os.WriteFile(path, []byte(script), 0o755); err != nil {
		return "", err
	}
	return path, nil
}

// shellQuote quotes s for a POSIX shell.
func shellQuote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// parseNMCLI parses "nmcli --terse --fields
// IP6.DNS,IP6.DOMAIN,IP6.SEARCHES,DHCP6 device show IF": the servers and
// domains (DOMAIN) and search domains (SEARCHES, where DNSSL and DHCPv6
// domains go) of the device's IPv6 configuration, each from DHCPv6 if the DHCPv6 lease's options
// (dhcp6_name_servers, dhcp6_domain_search) carry it and from RAs
// otherwise. Terse output escapes ':' and '\' in values with '\'.
func parseNMCLI(b []byte) (Resolver, error) {
	var servers, domains []string
	dhcp := map[string]bool{}
	for i, line := range strings.Split(string(b), "\n") {
		key, value, ok := strings.Cut(line, ":")
		if !ok {
			continue
		}
		value = unescapeNMCLI(value)
		name, _, _ := strings.Cut(key, "[")
		switch name {
		case "IP6.DNS":
			servers = append(servers, value)
		case "IP6.DOMAIN", "IP6.SEARCHES":
			domains = append(domains, value)
		case "DHCP6.OPTION":
			opt, v, ok := strings.Cut(value, " = ")
			if !ok {
				return Resolver{}, fmt.Errorf("%w: nmcli line %d: DHCP6 option without value", ErrState, i+1)
			}
			if opt == "dhcp6_name_servers" || opt == "dhcp6_domain_search" {
				for _, f := range strings.Fields(v) {
					if a, err := netip.ParseAddr(f); err == nil {
						f = a.String()
					}
					dhcp[strings.TrimSuffix(f, ".")] = true
				}
			}
		}
	}
	var r Resolver
	for _, s := range servers {
		a, err := netip.ParseAddr(s)
		if err != nil {
			return Resolver{}, fmt.Errorf("%w: nmcli: %w", ErrState, err)
		}
		r.Servers = append(r.Servers, Server{Addr: a, Source: nmSource(dhcp[a.String()])})
	}
	for _, d := range domains {
		d = strings.TrimSuffix(d, ".")
		r.Domains = append(r.Domains, Domain{Name: d, Source: nmSource(dhcp[d])})
	}
	return r, nil
}

// nmSource returns the source of a NetworkManager IPv6 entry.
func nmSource(fromDHCPv6 bool) Source {
	if fromDHCPv6 {
		return SourceDHCPv6
	}
	return SourceRA
}

// unescapeNMCLI undoes nmcli's terse-mode escaping of ':' and '\'.
func unescapeNMCLI(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+1 < len(s) {
			i++
		}
		b.WriteByte(s[i])
	}
	return b.String()
}
