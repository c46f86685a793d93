/*
 * Reset and fault entry of the Cortex-M4 test images (qemu mps2-an386). The reset entry hands
 * over to newlib's semihosting crt0 (`_start`: bss, heap, the command line qemu passes as
 * `-semihosting-config arg=...`, then main and exit). Every fault ends the run with a message
 * and exit status 70, so a crash fails the case at once instead of hanging until the timeout.
 */
#include <stdint.h>
#include <unistd.h>

extern void _start(void);
extern uint32_t __stack_top;

void firmware_reset(void);
void firmware_fault(void);

void firmware_reset(void)
{
    _start();
    for (;;) {
    }
}

void firmware_fault(void)
{
    static const char msg[] = "firmware test image: CPU fault\n";
    write(2, msg, sizeof(msg) - 1);
    _exit(70);
}

/* initial stack pointer, reset, then NMI, HardFault, MemManage, BusFault, UsageFault, ... */
__attribute__((section(".vectors"), used)) static void (*const vectors[16])(void) = {
    (void (*)(void))(uintptr_t)&__stack_top,
    firmware_reset,
    firmware_fault, firmware_fault, firmware_fault, firmware_fault, firmware_fault,
    0, 0, 0, 0,
    firmware_fault, firmware_fault, 0, firmware_fault, firmware_fault,
};
