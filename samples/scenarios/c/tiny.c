/*
 * tiny: a static executable that exits at once, with no libc and no
 * dynamic loader, so that the process it becomes lives for a few
 * microseconds. The scenarios drop it as a "new binary" to check that the
 * recorder still hashes executables whose process is already gone.
 *
 * Build: gcc -nostdlib -static -O2 -o tiny tiny.c
 */
void _start(void)
{
#if defined(__x86_64__)
	__asm__ volatile("mov $60, %eax\n\txor %edi, %edi\n\tsyscall");
#elif defined(__aarch64__)
	__asm__ volatile("mov x8, #93\n\tmov x0, #0\n\tsvc #0");
#else
#error "tiny.c: add the exit syscall for this architecture"
#endif
	for (;;)
		;
}
