# ctihost — see README.md. `make run` and `make test` need only Go and make.
GO      ?= go
BIN     := bin
PLUGINS := $(BIN)/plugins
# Go's race detector needs cgo.
export CGO_ENABLED ?= 1

.PHONY: build run test bench proto check clean

## build: the host, the CLI, every driver and the simulators into ./bin
build:
	$(GO) build -o $(BIN)/ctihost ./host
	$(GO) build -o $(BIN)/ctictl ./examples/ctictl
	$(GO) build -o $(BIN)/gssim ./plugins/grandstream/cmd/gssim
	$(GO) build -o $(PLUGINS)/cti-driver-grandstream ./plugins/grandstream/cmd/cti-driver-grandstream
	$(GO) build -o $(PLUGINS)/cti-driver-acme ./examples/driver-template/cmd/cti-driver-acme
	$(GO) build -o $(PLUGINS)/cti-driver-buggy ./examples/buggy-driver/cmd/cti-driver-buggy

## run: the host on the simulated default site (config.hcl), simulated phones started for you
run: build
	@export GXP_PASSCODE="$${GXP_PASSCODE:-admin}"; \
	$(BIN)/gssim -auto-answer 3s -ring-every 45s \
		-phone 127.0.0.1:18101=GXP2135 -phone 127.0.0.1:18102=GXP1165 -phone 127.0.0.1:18103=DP750 \
		-phone 127.0.0.1:18201=GXP2135 -phone 127.0.0.1:18202=GXP2135 & sim=$$!; \
	trap 'kill $$sim 2>/dev/null' EXIT INT TERM; \
	sleep 0.3; $(BIN)/ctihost -config config.hcl

## test: every test, race detector on (integration tests build their own binaries)
test:
	$(GO) vet ./...
	$(GO) test -race -count=1 -timeout 12m ./...

## bench: measure the host beside its floors (examples/bench); table and bin/bench/results.json
bench:
	$(GO) run ./examples/bench -out $(BIN)/bench/results.json

## proto: regenerate proto/cti/v1/*.pb.go (pure Go: no protoc needed)
proto:
	$(GO) run ./proto/gen

## check: regenerate and fail if the committed generated code was stale
check: proto
	git diff --exit-code -- proto/

clean:
	rm -rf $(BIN)
