# ctihost — see README.md. `make run` and `make test` need only Go and make.
GO      ?= go
BIN     := bin
PLUGINS := $(BIN)/plugins
# Go's race detector needs cgo.
export CGO_ENABLED ?= 1
# Go 1.26.10 fixes vulnerabilities of 1.26.8's standard library that our
# code reaches (net/http, crypto/tls, crypto/x509; make check names them).
# The go command fetches it once through the Go module proxy (76 MB), on any
# machine with Go 1.21 or newer, whatever that machine's own GOTOOLCHAIN says.
export GOTOOLCHAIN := go1.26.10

# The vulnerability database for `make check`: vuln.go.dev is out of reach
# here, so bin/vulndb is built from the advisories (data/osv) in this snapshot
# of golang.org/x/vulndb, fetched through the Go module proxy. For newer
# advisories, set it to what `go list -m golang.org/x/vulndb@master` names.
VULNDB_VERSION ?= v0.0.0-20261105234957-e22db6528018
VULNDB         := $(BIN)/vulndb
# How long `make fuzz` runs each fuzz target, and where it looks for them.
FUZZTIME ?= 30s
FUZZPKGS ?= ./...

.PHONY: build run test test-e2e chaos bench proto check protocheck vulndb vulncheck fuzz clean

## build: the host, the CLI, every driver and the simulators into ./bin
build:
	$(GO) build -o $(BIN)/ctihost ./host
	$(GO) build -o $(BIN)/ctictl ./examples/ctictl
	$(GO) build -o $(BIN)/gssim ./plugins/grandstream/cmd/gssim
	$(GO) build -o $(BIN)/ipofficesim ./plugins/ipoffice/cmd/ipofficesim
	$(GO) build -o $(BIN)/snomsim ./plugins/snom/cmd/snomsim
	$(GO) build -o $(BIN)/mirtasim ./plugins/mirta/cmd/mirtasim
	$(GO) build -o $(PLUGINS)/cti-driver-grandstream ./plugins/grandstream/cmd/cti-driver-grandstream
	$(GO) build -o $(PLUGINS)/cti-driver-ipoffice ./plugins/ipoffice/cmd/cti-driver-ipoffice
	$(GO) build -o $(PLUGINS)/cti-driver-snom ./plugins/snom/cmd/cti-driver-snom
	$(GO) build -o $(PLUGINS)/cti-driver-mirta ./plugins/mirta/cmd/cti-driver-mirta
	$(GO) build -o $(PLUGINS)/cti-driver-acme ./examples/driver-template/cmd/cti-driver-acme
	$(GO) build -o $(PLUGINS)/cti-driver-buggy ./examples/buggy-driver/cmd/cti-driver-buggy

# The simulated IP Office of `make run` (site "cc" in config.hcl): its
# address, and the file it writes its self-signed certificate's
# fingerprint to, which config.hcl pins. A new certificate at every start.
IPO_SIM_ADDR := 127.0.0.1:18443
IPO_SIM_PIN  := $(BIN)/ipofficesim.sha256

## run: the host on the simulated sites of config.hcl; simulated phones, IP Office and MiRTA PBX started for you
# gssim: five phones, a caller rings each every 45s. snomsim: a Snom D785
# at hq, rung every 50s, whose events come back as action URLs through the
# host's callback listener (127.0.0.1:7080). ipofficesim: users
# 201-206, hunt groups Sales 600 and Support 601; every 60s a caller rings
# one of them (in turn), an agent answers after 5s, the caller hangs up 20s
# later. mirtasim: a MiRTA PBX on 127.0.0.1:18401 with tenant DEVEL
# (extensions 101-106, queues Support and Sales, a phonebook), a caller
# every 40s into an extension or a queue. All are killed when the host
# exits. The host starts once the simulated IP Office listens (it has
# written its fingerprint by then).
run: build
	@export GXP_PASSCODE="$${GXP_PASSCODE:-gxp-sim-passcode}" IPO_PASSWORD="$${IPO_PASSWORD:-ipo-sim-password}" \
		SNOM_PASSWORD="$${SNOM_PASSWORD:-snom-sim-password}" MIRTA_KEY="$${MIRTA_KEY:-mirta-sim-key}"; \
	$(BIN)/gssim -auto-answer 3s -ring-every 45s \
		-phone 127.0.0.1:18101=GXP2135 -phone 127.0.0.1:18102=GXP1165 -phone 127.0.0.1:18103=DP750 \
		-phone 127.0.0.1:18201=GXP2135 -phone 127.0.0.1:18202=GXP2135 & sim=$$!; \
	$(BIN)/snomsim -phone 127.0.0.1:18301=D785@10.1.54.13 -auto-answer 3s -ring-every 50s & snom=$$!; \
	$(BIN)/mirtasim -listen 127.0.0.1:18401 -tenant DEVEL -extensions 6 -queues 2 \
		-ring-every 40s -answer-after 5s -hangup-after 20s & mirta=$$!; \
	rm -f $(IPO_SIM_PIN); \
	$(BIN)/ipofficesim -listen $(IPO_SIM_ADDR) -fingerprint-out $(IPO_SIM_PIN) -users 6 -queues 2 \
		-ring-every 60s -answer-after 5s -hangup-after 20s & ipo=$$!; \
	trap 'kill $$sim $$ipo $$snom $$mirta 2>/dev/null' EXIT INT TERM; \
	sleep 0.3; i=0; until [ -s $(IPO_SIM_PIN) ]; do \
		i=$$((i+1)); [ $$i -le 50 ] && kill -0 $$ipo 2>/dev/null || { \
			echo "make run: $(BIN)/ipofficesim is not serving on $(IPO_SIM_ADDR) (see its output above: is the port in use?)" >&2; exit 1; }; \
		sleep 0.1; \
	done; \
	$(BIN)/ctihost -config config.hcl

## test: every test, race detector on (integration tests build their own binaries)
test:
	$(GO) vet ./...
	$(GO) test -race -count=1 -timeout 12m ./...

## test-e2e: the web console in headless Debian chromium, driven by playwright-core from npm (needs node, npm and /usr/bin/chromium; .ci/run installs them)
test-e2e: build
	cd host/console/e2e && npm ci --no-audit --no-fund --loglevel=error && node console.test.mjs

## chaos: three hosts of one cluster under kills, pauses and swaps for two minutes, checked against the simulated phones (examples/chaos; SEED=n repeats a run)
chaos:
	$(GO) run ./examples/chaos -duration 2m $(if $(SEED),-seed $(SEED))

## bench: measure the host beside its floors (examples/bench); table and bin/bench/results.json
bench:
	$(GO) run ./examples/bench -out $(BIN)/bench/results.json

## proto: regenerate proto/cti/v1/*.pb.go (pure Go: no protoc needed)
proto:
	$(GO) run ./proto/gen -gateway host/gateway
	$(GO) run ./proto/gen -root plugins/ipoffice -out plugins/ipoffice

## check: regenerate and fail if the committed generated code was stale, then run vulncheck
check: proto
	git diff --exit-code -- proto/ plugins/ipoffice/mtcti/ host/gateway/
	@$(MAKE) --no-print-directory protocheck vulncheck

# buf, pinned in proto/buf.mod (apart from go.mod: it needs pre-release
# protobuf versions the host must not be built with).
BUF := $(GO) tool -modfile=$(CURDIR)/proto/buf.mod buf

## protocheck: buf lint, and buf breaking against the previous commit and against the commit that
## created cti.v1: cti.v1 only grows (CI runs it too)
protocheck:
	cd proto && $(BUF) lint
	@prev=$$(git rev-parse -q --verify HEAD~1) && first=$$(git log --diff-filter=A --format=%H -- proto/cti/v1/driver.proto | tail -n 1) \
		|| { echo "protocheck: this clone has no history to compare cti.v1 with (a shallow clone?)" >&2; exit 1; }; \
	for ref in $$prev $$first; do \
		echo "$(BUF) breaking proto --against .git#ref=$$ref,subdir=proto"; \
		$(BUF) breaking proto --against ".git#ref=$$ref,subdir=proto" || exit 1; \
	done

## vulndb: build bin/vulndb from golang.org/x/vulndb@$(VULNDB_VERSION) (.ci/vulndb; a no-op when current)
vulndb:
	$(GO) run ./.ci/vulndb -version $(VULNDB_VERSION) -out $(VULNDB)

## vulncheck: govulncheck (a tool in go.mod) over the module; fails on vulnerable code that is reachable
vulncheck: vulndb
	$(GO) tool govulncheck -db file://$(CURDIR)/$(VULNDB) ./...

## fuzz: run every fuzz target in $(FUZZPKGS), one after the other, for $(FUZZTIME) each
# go test fuzzes one target per run, so the targets are listed first (-list
# compiles the test binaries); new ones are picked up by themselves. Every
# target runs even if one fails; a failing input is saved under the package's
# testdata/fuzz/, where `make test` replays it from then on.
fuzz:
	@list=$$($(GO) test -list '^Fuzz' $(FUZZPKGS)) || { echo "$$list"; exit 1; }; \
	targets=$$(echo "$$list" | awk '/^Fuzz/ { names = names " " $$1; next } \
		/^ok/ { n = split(names, a, " "); for (i = 1; i <= n; i++) print $$2 ":" a[i]; names = "" }'); \
	[ -n "$$targets" ] || { echo "fuzz: no fuzz targets in $(FUZZPKGS)" >&2; exit 1; }; \
	failed=; \
	for t in $$targets; do \
		pkg=$${t%:*}; name=$${t##*:}; \
		echo "== fuzz $$pkg $$name for $(FUZZTIME)"; \
		$(GO) test -run '^$$' -fuzz "^$$name\$$" -fuzztime $(FUZZTIME) "$$pkg" || failed="$$failed $$pkg.$$name"; \
	done; \
	[ -z "$$failed" ] || { echo "fuzz: failed:$$failed" >&2; exit 1; }

clean:
	rm -rf $(BIN)
