// Package lab runs "ralab lab": virtual labs of network namespaces whose
// router namespace runs "ralab serve" and whose hosts run the real clients
// that are installed (rdnssd, dhcpcd, systemd-networkd, dhclient, WIDE
// dhcp6c, dibbler, NetworkManager, ConnMan).
//
// RunScenarios runs each scenario of configs/scenarios in fresh labs,
// with every client resolving names through the DNS servers it holds. It
// samples each client's real resolver state once a second through the
// scenario and captures the link; the capture stops just before the
// scenario ends, so its end is the end of the observation. ralab is told
// the scenario lasts serveTail longer, so even a capture a loaded machine
// stops late holds only the scenario's last phase, never ralab's
// unimpaired configuration or final RAs. The capture is analysed exactly
// as "ralab analyze FILE" does, with no evaluation time of its own, and
// once more with client identification off; the capture, its JSON report
// and its HTML report are written next to the client × scenario
// compatibility matrix (package matrix), whose cells compare the verdict
// over the whole capture with the client's resolver over the same span
// and link to the report.
//
// # One link per scenario, and links of their own
//
// The clients of a scenario share one lab, one link and one capture
// (NAME.pcapng), except a client that must not share a link
// (labclient.Client.OwnLink): ConnMan sends Router Solicitations from
// the unspecified address, which a router must answer with a multicast
// RA (RFC 4861 §6.2.6). On a shared link that RA refreshes every host
// about every 10 s, and the throttling scenarios (F1, F5) stop costing
// the other clients DNS. Such a client gets a lab of its own per
// scenario: its own router namespace, "ralab serve", capture
// (NAME.CLIENT.pcapng, with its own reports) and host, with the same
// configuration, scenario and impairments; its cell is the analysis of
// that capture. NetworkManager shares the link: measured, it solicits
// only from its link-local address, which ralab answers by unicast.
//
// A separate small lab was chosen over extra links of the router
// namespace served by one "ralab serve" with one capture of several
// interfaces: it needs nothing of ralab or of the observer beyond what a
// single link needs (no per-interface scenarios, no multi-interface
// pcapng analysis), a failure stays in its own lab, and it is cheap: a
// lab costs two namespaces, a ralab process, a dumpcap and the client;
// the whole default matrix, 36 labs, used 30 s of CPU (README,
// Performance).
//
// # Time
//
// Every lab of the run runs at once when the machine's cores and memory
// allow (AutoParallel; ScenarioOptions.Parallel overrides), so the whole
// matrix takes about as long as its longest scenario; labs of shorter
// scenarios start a little later (staggered), so the longest are set up
// without contention. Each lab times its phases (lab, capture,
// hosts, serve, clients, scenario, stop, analyze, close); the progress
// shows them per lab, with an estimate of the time left, and the matrix
// keeps them (matrix.Lab.Phases).
//
// Run serves one configuration once, without scenarios, and reports per
// client whether it formed a SLAAC address and which DNS servers it
// holds.
package lab
