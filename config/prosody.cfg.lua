-- xmpp-gateway: Prosody snippet (Prosody 0.12 and 13). Not a full configuration.
--
-- Install it as its own file, e.g. /etc/prosody/conf.d/sms.example.org.cfg.lua (Debian's
-- prosody.cfg.lua ends with: Include "conf.d/*.cfg.lua"). An included file starts in the global
-- section, so the two port settings below are global and the Component line opens the
-- component's section. If you paste this into prosody.cfg.lua instead, put component_ports and
-- component_interfaces in the global section (above the first VirtualHost) and the Component
-- block at the end of the file.
--
-- Then: prosodyctl check config && systemctl restart prosody
-- (a reload does not open new ports). The file holds a secret: chmod 640, owner root:prosody.
--
-- The matching gateway.yaml settings:
--   xmpp.service:       xmpp://127.0.0.1:5347
--   gateways[].domain:  sms.example.org
--   gateways[].secret:  the component_secret below (e.g. ${SMS_COMPONENT_SECRET})

-- The XEP-0114 component port (5347 is Prosody's default; stated here so it is explicit).
component_ports = { 5347 }

-- Listen on loopback only. The component protocol has no TLS and authenticates with a SHA-1
-- handshake over the shared secret: never expose this port to the Internet. If the gateway runs
-- on another host or in a container, list a private address here (e.g. { "10.0.0.5" }) and
-- firewall the port to the gateway host only, or tunnel (WireGuard, SSH) to loopback.
-- Without this line Prosody binds 127.0.0.1 and ::1 (the local_interfaces default).
-- ENV_NAME reads the environment variable NAME; docker-compose.yml sets
-- XGW_COMPONENT_INTERFACE=* so the gateway container can reach Prosody's container.
component_interfaces = { ENV_XGW_COMPONENT_INTERFACE or "127.0.0.1" }

-- Recommended: send small writes at once. With Prosody's default (nagle = true) a component that
-- only receives, like the gateway for outbound messages, is handed stanzas in bursts paced by the
-- TCP delayed ACK: about 40 ms added at the 99th percentile in docs/BENCHMARKS.md. This is a
-- global setting (it applies to every connection of this Prosody); leave it out to keep the default.
network_settings = { nagle = false }

-- The domain must not be a VirtualHost of this server. As a direct subdomain of the VirtualHost
-- example.org it is listed in that host's disco#items automatically (otherwise add it with
-- disco_items). It needs no DNS record unless users on other servers should reach it; then
-- sms.example.org must resolve for s2s, with a certificate covering it.
Component "sms.example.org"
	-- Same value as gateways[].secret. Generate one with: openssl rand -hex 32
	-- A non-empty environment variable SMS_COMPONENT_SECRET, if Prosody has one, wins over the
	-- literal (docker-compose.yml passes it from .env).
	component_secret = (ENV_SMS_COMPONENT_SECRET or "") ~= "" and ENV_SMS_COMPONENT_SECRET
		or "CHANGE-ME-long-random-secret"

	-- Notes (nothing to set):
	-- * Components do not load the global modules_enabled; the gateway answers disco, ping,
	--   version, register and jabber:iq:gateway itself.
	-- * validate_from_addresses defaults to true: the component may only send stanzas from its
	--   own domain (sms.example.org or user@sms.example.org). Keep it that way.
	-- * Prosody 0.12 stamps a stanza sent without 'from' with the component's domain; Prosody 13
	--   drops it and disconnects the component. The gateway always sets 'from' on its domain.
	-- * Only one connection per component domain: a second one is refused with a 'conflict'
	--   stream error. Run exactly one gateway process with the component role per domain
	--   (workers and webhook receivers can be scaled freely).
	-- * While the gateway is disconnected, Prosody bounces messages to sms.example.org with
	--   remote-server-timeout ("Component unavailable"); the users' clients show that error.
