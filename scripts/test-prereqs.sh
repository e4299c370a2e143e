#!/usr/bin/env bash
# Installs what the test suite talks to, if missing: swaks (a real SMTP client),
# systemd-analyze (checks contrib/rampart.service), chromium (the web console's
# browser tests drive Debian's chromium with playwright-core, a dev dependency),
# python3 (smtplib) and redis-server (DNS tests run their own in-process DNS
# server on loopback). Debian/Ubuntu; needs root or sudo
# the first time only. Called by `npm test`.
set -euo pipefail
need=()
command -v swaks >/dev/null 2>&1 || need+=(swaks)
command -v python3 >/dev/null 2>&1 || need+=(python3)
command -v redis-server >/dev/null 2>&1 || need+=(redis-server)
command -v openssl >/dev/null 2>&1 || need+=(openssl)
command -v systemd-analyze >/dev/null 2>&1 || need+=(systemd)
[ -x /usr/bin/chromium ] || need+=(chromium)
# swaks needs these Perl modules for STARTTLS/implicit TLS and AUTH.
perl -MIO::Socket::SSL -e1 >/dev/null 2>&1 || need+=(libio-socket-ssl-perl)
perl -MAuthen::SASL -e1 >/dev/null 2>&1 || need+=(libauthen-sasl-perl)
[ ${#need[@]} -eq 0 ] && exit 0
echo "test prerequisites: installing ${need[*]}" >&2
if [ "$(id -u)" -eq 0 ]; then sudo=""; elif command -v sudo >/dev/null 2>&1; then sudo="sudo"; else
  echo "test prerequisites missing (${need[*]}) and no root/sudo to install them" >&2; exit 1
fi
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq >/dev/null
$sudo apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
