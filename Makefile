# Quiesce — every target first makes sure liburing-dev (the only external library) is installed.
SWIFT ?= swift
SWIFT_FLAGS ?=

.PHONY: all deps build test demo clean

all: build

# Installs liburing-dev through apt-get when it is missing (root), or prints the command (non-root).
deps:
	@./scripts/ensure-liburing.sh

build: deps
	$(SWIFT) build $(SWIFT_FLAGS)

test: deps
	$(SWIFT) build --build-tests $(SWIFT_FLAGS)
	$(SWIFT) test --skip-build $(SWIFT_FLAGS)

demo: deps
	$(SWIFT) run $(SWIFT_FLAGS) QuiesceDemo

clean:
	rm -rf .build
