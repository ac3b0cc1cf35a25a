// Package configs embeds ralab's shipped configuration files: lab.toml,
// the default configuration of the virtual lab, and reference.toml, which
// shows and explains every key. Parse them with config.Parse.
package configs
