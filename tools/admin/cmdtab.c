/* SPDX-License-Identifier: Apache-2.0 */
/*
 * cmdtab.c — the command table of kdc-admin: the one place that says
 * which commands exist, what they take, which request they send and how
 * they are described (admin.h).  Help texts hold one sentence per line so
 * that the mdoc rendering keeps "new sentence, new line".
 */
#include "admin.h"

#include "ipc_msg.h"

static const struct adm_opt opts_delete[] = {
        {"yes", ADM_OT_FLAG, NULL, 0, 0,
         "Confirm the deletion; without it nothing is deleted."},
        {NULL, 0, NULL, 0, 0, NULL},
};

static const struct adm_opt opts_as_add[] = {
        {"kind", ADM_OT_TEXT, "sign|mac|encrypt", 0, 0,
         "How the AS protects its tokens: COSE_Sign1, COSE_Mac0 or "
         "COSE_Encrypt0 (required)."},
        {"alg", ADM_OT_ALG, "ALG", 0, 0,
         "COSE algorithm of the tokens, by name or number, e.g. EdDSA, "
         "ES256, 5 (HMAC 256/256) or AES-CCM-16-64-128 (required)."},
        {"key-file", ADM_OT_TEXT, "FILE", 0, 0,
         "File holding the AS key as a COSE_Key, binary CBOR or its hex "
         "text."},
        {"key-hex", ADM_OT_TEXT, "HEX", 0, 0,
         "The key inline: the hex of a COSE_Key, or for mac and encrypt "
         "the hex of the raw symmetric key."},
        {"kid", ADM_OT_TEXT, "TEXT", 0, 0,
         "Accept only tokens whose COSE kid is this text (default: any "
         "kid)."},
        {"kid-hex", ADM_OT_TEXT, "HEX", 0, 0,
         "The same with the kid given in hex."},
        {"issuer", ADM_OT_TEXT, "ISS", 0, 0,
         "The iss claim the tokens must carry (default: not checked)."},
        {"audience", ADM_OT_TEXT, "AUD", 0, 0,
         "The aud this AS puts in tokens for the KDC (default: "
         "default_audience of the configuration)."},
        {"psk-kdk-file", ADM_OT_TEXT, "FILE", 0, 0,
         "Key-derivation key for tokens that carry only a kid (RFC 9202 "
         "§3.3.1), as hex text, raw bytes or a Symmetric COSE_Key."},
        {NULL, 0, NULL, 0, 0, NULL},
};

static const struct adm_opt opts_audit[] = {
        {"group", ADM_OT_TEXT, "GROUP", 0, 0, "Only entries of this group."},
        {"action", ADM_OT_TEXT, "ACTION", 0, 0,
         "Only entries of this action (e.g. group-create, join, rekey)."},
        {"since", ADM_OT_UINT, "ID", INT64_MAX, 0,
         "Only entries with an id greater than ID."},
        {"limit", ADM_OT_UINT, "N", 100000, 0,
         "At most N entries, the latest ones (default 50)."},
        {NULL, 0, NULL, 0, 0, NULL},
};

static const struct adm_opt opts_db[] = {
        {"offline", ADM_OT_FLAG, NULL, 0, 0,
         "Work on the database file directly, read-only, without asking "
         "the keystore."},
        {NULL, 0, NULL, 0, 0, NULL},
};

const struct adm_cmd adm_cmds[] = {
        {"status", "", 0, 0, NULL, IPC_MSG_ADM_STATUS, adm_build_none,
         ADM_F_RECORD, "show the keystore's status",
         "Show the state of the keystore as it reports it: version, "
         "uptime, database and counters."},
        {"group create", "NAME", 1, 1, adm_group_opts, IPC_MSG_ADM_GROUP_CREATE,
         adm_build_group_create, ADM_F_RECORD, "create a group",
         "Create a Group OSCORE group with fresh keying material.\n"
         "Options not given take the defaults shown.\n"
         "--sign-crv follows --sign-alg, and --ecdh-crv is P-256 when the "
         "signature curve is P-256, unless given.\n"
         "The configuration is checked before it is sent; an incoherent one "
         "is refused with the reason."},
        {"group list", "", 0, 0, NULL, IPC_MSG_ADM_GROUP_LIST, adm_build_none,
         0, "list the groups", "List every group with its state."},
        {"group show", "NAME", 1, 1, NULL, IPC_MSG_ADM_GROUP_SHOW,
         adm_build_group, ADM_F_RECORD, "show a group",
         "Show the configuration and state of one group.\n"
         "Keying material is never shown."},
        {"group update", "NAME", 1, 1, adm_group_opts, IPC_MSG_ADM_GROUP_UPDATE,
         adm_build_group_update, ADM_F_UPDATE | ADM_F_RECORD,
         "change the policies of a group",
         "Change the given policies of a group; the others keep their "
         "values.\n"
         "The security context parameters are fixed at creation."},
        {"group activate", "NAME", 1, 1, NULL, IPC_MSG_ADM_GROUP_UPDATE,
         adm_build_group_activate, ADM_F_RECORD, "let members join a group",
         "Mark a group active (RFC 9594 §4.1)."},
        {"group deactivate", "NAME", 1, 1, NULL, IPC_MSG_ADM_GROUP_UPDATE,
         adm_build_group_deactivate, ADM_F_RECORD, "stop joins to a group",
         "Mark a group inactive: members are told through the active "
         "resource and new joins are refused."},
        {"group delete", "NAME", 1, 1, opts_delete, IPC_MSG_ADM_GROUP_DELETE,
         adm_build_group_delete, 0, "delete a group and its members",
         "Delete a group, its members and its keying material.\n"
         "Requires --yes."},
        {"member list", "GROUP", 1, 1, NULL, IPC_MSG_ADM_MEMBER_LIST,
         adm_build_group, 0, "list the members of a group",
         "List the current members of a group."},
        {"member show", "GROUP NODE", 2, 2, NULL, IPC_MSG_ADM_MEMBER_SHOW,
         adm_build_member, ADM_F_RECORD, "show a member",
         "Show one member of a group."},
        {"member evict", "GROUP NODE", 2, 2, NULL, IPC_MSG_ADM_MEMBER_EVICT,
         adm_build_member, 0, "remove a member from a group",
         "Remove a member from a group (RFC 9594 §5); the group is rekeyed "
         "if its policy asks for forward security."},
        {"rekey", "GROUP", 1, 1, NULL, IPC_MSG_ADM_REKEY, adm_build_group, 0,
         "rekey a group now",
         "Give a group new keying material at once (RFC 9594 §6)."},
        {"as add", "NAME", 1, 1, opts_as_add, IPC_MSG_ADM_AS_ADD,
         adm_build_as_add, 0, "trust an Authorization Server",
         "Trust the tokens of an Authorization Server.\n"
         "For sign only the public part of the key is sent.\n"
         "Keys are never printed."},
        {"as list", "", 0, 0, NULL, IPC_MSG_ADM_AS_LIST, adm_build_none, 0,
         "list the trusted Authorization Servers",
         "List the trusted Authorization Servers, without their secret "
         "keys."},
        {"as remove", "NAME", 1, 1, NULL, IPC_MSG_ADM_AS_REMOVE, adm_build_arg,
         0, "stop trusting an Authorization Server",
         "Stop trusting an Authorization Server."},
        {"kdc-cred show", "", 0, 0, NULL, IPC_MSG_ADM_KDC_CRED_SHOW,
         adm_build_none, 0, "show the KDC's credentials",
         "Show the public keys of the KDC's own credentials (RFC 9594 "
         "§4.3.1 kdc_cred)."},
        {"kdc-cred rotate", "KIND", 1, 1, NULL, IPC_MSG_ADM_KDC_CRED_ROTATE,
         adm_build_arg, 0, "replace one of the KDC's credentials",
         "Replace the KDC credential of one kind: sign-ed25519, sign-p256, "
         "dh-x25519 or dh-p256."},
        {"token list", "", 0, 0, NULL, IPC_MSG_ADM_TOKEN_LIST, adm_build_none,
         0, "list the stored access tokens",
         "List the stored access tokens, one per proof-of-possession key."},
        {"token revoke", "ID", 1, 1, NULL, IPC_MSG_ADM_TOKEN_REVOKE,
         adm_build_token_revoke, 0, "revoke an access token",
         "Revoke a stored access token by its id; its memberships end."},
        {"audit", "", 0, 0, opts_audit, IPC_MSG_ADM_AUDIT, adm_build_audit, 0,
         "show the latest audit log entries",
         "Show the latest entries of the audit log, oldest first."},
        {"sql", "QUERY", 1, ADM_MAX_POS, NULL, IPC_MSG_ADM_SQL, adm_build_sql,
         ADM_F_REST, "run a read-only SQL query",
         "Run one read-only SQL statement on the keystore's database.\n"
         "Several arguments are joined by spaces.\n"
         "Statements that would write are refused (exit status 4)."},
        {"db backup", "FILE", 1, 1, opts_db, IPC_MSG_ADM_DB_BACKUP,
         adm_build_none, ADM_F_BACKUP | ADM_F_LONG, "back up the database",
         "Copy the database into FILE, which must not exist and is created "
         "with mode 0600.\n"
         "Online the keystore streams a consistent copy; when the keystore "
         "is not running, or with --offline, the database file named by "
         "the configuration is copied with the SQLite backup API."},
        {"db check", "", 0, 0, opts_db, IPC_MSG_ADM_DB_CHECK, adm_build_none,
         ADM_F_CHECK | ADM_F_LONG, "check the database",
         "Check the integrity of the database.\n"
         "When the keystore is not running, or with --offline, the database "
         "file is checked read-only."},
        {"reload", "", 0, 0, NULL, IPC_MSG_ADM_RELOAD, adm_build_none, 0,
         "reload the configuration",
         "Ask the keystore to reload what it can of its configuration."},
};

const size_t adm_ncmds = sizeof(adm_cmds) / sizeof(adm_cmds[0]);
