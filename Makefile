# Release layout: `make install PREFIX=/usr/local` puts a self-contained nbgitops in
# $(PREFIX)/bin and its resources in $(PREFIX)/share/nbgitops (see scripts/install).
PREFIX ?= /usr/local
DESTDIR ?=

.PHONY: build install test check

build:
	swift build -c release --static-swift-stdlib --product nbgitops

install:
	scripts/install "$(DESTDIR)$(PREFIX)"

test:
	swift test

check: build
	"$$(swift build -c release --static-swift-stdlib --show-bin-path)/nbgitops" check
