# Included after tools/testing/selftests/kvm/Makefile: prints the test
# programs it builds for $(ARCH), relative to $(OUTPUT).
print-tests:
	@echo $(patsubst $(OUTPUT)/%,%,$(TEST_GEN_PROGS))
