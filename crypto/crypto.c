/* SPDX-License-Identifier: BSD-3-Clause */
/* Placeholder: being written. */
typedef int hb_placeholder_crypto;
