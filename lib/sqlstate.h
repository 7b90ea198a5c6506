/* sqlstate.h — the PostgreSQL SQLSTATE codes gigd reacts to, by name
 * (Appendix A of the PostgreSQL manual). */
#ifndef GIGD_SQLSTATE_H
#define GIGD_SQLSTATE_H

#define SQLSTATE_UNIQUE_VIOLATION      "23505"
#define SQLSTATE_CHECK_VIOLATION       "23514"
#define SQLSTATE_NOT_NULL_VIOLATION    "23502"
#define SQLSTATE_FOREIGN_KEY_VIOLATION "23503"
#define SQLSTATE_EXCLUSION_VIOLATION   "23P01"
#define SQLSTATE_INVALID_TEXT          "22P02" /* invalid_text_representation */
#define SQLSTATE_STRING_TOO_LONG       "22001" /* string_data_right_truncation */
#define SQLSTATE_OUT_OF_RANGE          "22003" /* numeric_value_out_of_range */
#define SQLSTATE_BAD_DATETIME_FORMAT   "22007" /* invalid_datetime_format */
#define SQLSTATE_DATETIME_OVERFLOW     "22008" /* datetime_field_overflow */
#define SQLSTATE_RAISE_EXCEPTION       "P0001" /* RAISE EXCEPTION in PL/pgSQL */
#define SQLSTATE_QUERY_CANCELED        "57014" /* statement_timeout */
#define SQLSTATE_DUPLICATE_STATEMENT   "42P05" /* duplicate_prepared_statement */
#define SQLSTATE_CLASS_CONNECTION      "08"    /* connection_exception (class prefix) */
#define SQLSTATE_CLASS_OPERATOR        "57P"   /* admin/crash shutdown, cannot connect now */

#endif
