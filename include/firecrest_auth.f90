! firecrest_auth.f90: Fortran 2008 bindings for firecrest_auth.h.
!
! Compile this file with your program (it makes the module
! firecrest_auth) and link libfirecrest_auth:
!
!   gfortran firecrest_auth.f90 myprog.f90 -lfirecrest_auth
!
! It binds the C API through iso_c_binding, the way FFTW's fftw3.f03 does,
! and wraps it for Fortran callers:
!
! - the procedures keep the C names and argument order, and are functions
!   returning an integer(c_int32_t) status, F7T_STATUS_OK (0) on success;
! - character arguments are plain Fortran strings: trailing blanks are
!   trimmed and the NUL the C side needs is added; an optional string
!   given as '' means "not set";
! - f7t_auth_get_access_token returns the token as a deferred-length
!   allocatable character (the C side copies it into a buffer sized by
!   asking for the length first), and f7t_last_error_message() returns the
!   detail of the last failure as a Fortran string;
! - a handle is type(f7t_auth), which holds the C pointer. Free it with
!   call f7t_auth_free(auth). It has no finalizer, because an intrinsic
!   assignment copies the pointer, and two finalizers would free it twice.
!
! Integer arguments are integer(c_int32_t) (default integer with gfortran)
! or, for times in Unix seconds, integer(c_int64_t). A token is a
! credential: print its length, never the token, and overwrite your copy
! with call f7t_wipe(token) when done.
!
! Callbacks (a token provider, a device prompt, a log sink) are your
! bind(C) procedures, passed with c_funloc; see firecrest_auth.h for their
! C signatures.

module firecrest_auth
  use, intrinsic :: iso_c_binding, only: c_associated, c_char, c_f_pointer, &
      c_funloc, c_funptr, c_int32_t, c_int64_t, c_loc, c_null_char, &
      c_null_funptr, c_null_ptr, c_ptr, c_size_t
  implicit none
  private

  ! Statuses (f7t_status in C): grouped by kind, never renumbered. The
  ! values must match firecrest_auth.h; a test compares them.
  integer(c_int32_t), parameter, public :: &
      F7T_STATUS_OK = 0, &
      ! 1xx: the caller's arguments
      F7T_STATUS_NULL_ARGUMENT = 100, &
      F7T_STATUS_INVALID_UTF8 = 101, &
      F7T_STATUS_INVALID_ARGUMENT = 102, &
      F7T_STATUS_BUFFER_TOO_SMALL = 103, &
      F7T_STATUS_MISSING_ENVIRONMENT = 104, &
      F7T_STATUS_INSECURE_URL = 105, &
      F7T_STATUS_WRONG_HANDLE_KIND = 106, &
      F7T_STATUS_LIBRARY_THREAD = 107, &
      F7T_STATUS_NOT_FOUND = 108, &
      F7T_STATUS_NOT_A_JWT = 109, &
      ! 2xx: transport
      F7T_STATUS_CONNECT = 200, &
      F7T_STATUS_TIMEOUT = 201, &
      F7T_STATUS_TLS = 202, &
      F7T_STATUS_TRANSPORT = 203, &
      F7T_STATUS_REDIRECT = 204, &
      F7T_STATUS_RESPONSE_TOO_LARGE = 205, &
      ! 3xx: the server's reply
      F7T_STATUS_HTTP_STATUS = 300, &
      F7T_STATUS_BAD_RESPONSE = 301, &
      F7T_STATUS_MISSING_ACCESS_TOKEN = 302, &
      F7T_STATUS_UNSUPPORTED_TOKEN_TYPE = 303, &
      F7T_STATUS_DISCOVERY = 304, &
      F7T_STATUS_NO_DEVICE_ENDPOINT = 305, &
      ! 4xx: an OAuth error the server named
      F7T_STATUS_INVALID_REQUEST = 400, &
      F7T_STATUS_INVALID_CLIENT = 401, &
      F7T_STATUS_INVALID_GRANT = 402, &
      F7T_STATUS_UNAUTHORIZED_CLIENT = 403, &
      F7T_STATUS_UNSUPPORTED_GRANT_TYPE = 404, &
      F7T_STATUS_INVALID_SCOPE = 405, &
      F7T_STATUS_ACCESS_DENIED = 406, &
      F7T_STATUS_EXPIRED_TOKEN = 407, &
      F7T_STATUS_INVALID_TARGET = 408, &
      F7T_STATUS_SERVER_ERROR = 409, &
      F7T_STATUS_TEMPORARILY_UNAVAILABLE = 410, &
      F7T_STATUS_OTHER_OAUTH_ERROR = 411, &
      ! 5xx: a local failure
      F7T_STATUS_PROVIDER_FAILED = 500, &
      F7T_STATUS_TOKEN_EXPIRED = 501, &
      F7T_STATUS_TOKEN_REJECTED = 502, &
      F7T_STATUS_RUNTIME = 503, &
      F7T_STATUS_CANCELLED = 504, &
      F7T_STATUS_COMMAND_FAILED = 505, &
      F7T_STATUS_TOKEN_STORE = 506, &
      ! 9xx: an internal error
      F7T_STATUS_PANIC = 900, &
      F7T_STATUS_INTERNAL = 901

  ! Client authentication (f7t_auth_set_client_auth).
  integer(c_int32_t), parameter, public :: &
      F7T_CLIENT_AUTH_POST = 0, &
      F7T_CLIENT_AUTH_BASIC = 1

  ! Log levels (f7t_set_log_callback).
  integer(c_int32_t), parameter, public :: &
      F7T_LOG_ERROR = 1, &
      F7T_LOG_WARN = 2, &
      F7T_LOG_INFO = 3, &
      F7T_LOG_DEBUG = 4

  ! An auth handle; null until a constructor succeeds, null again after
  ! f7t_auth_free.
  type, public :: f7t_auth
    type(c_ptr) :: handle = c_null_ptr
  end type f7t_auth

  public :: f7t_version, f7t_status_str, f7t_last_error_message, &
      f7t_last_error_status, f7t_set_log_callback, &
      f7t_auth_static_token_new, f7t_auth_api_key_new, &
      f7t_auth_client_credentials_new, &
      f7t_auth_client_credentials_from_issuer_new, f7t_auth_callback_new, &
      f7t_token_sink_set_token, f7t_token_sink_set_error, &
      f7t_auth_from_env, f7t_auth_device_code_new, &
      f7t_auth_device_code_from_issuer_new, f7t_auth_refresh_token_new, &
      f7t_auth_refresh_token_from_issuer_new, f7t_auth_token_command_new, &
      f7t_auth_free, f7t_auth_associated, f7t_auth_set_min_validity, &
      f7t_auth_set_timeouts, f7t_auth_set_max_retries, &
      f7t_auth_set_ca_file, f7t_auth_set_allow_insecure_http, &
      f7t_auth_set_user_agent_suffix, f7t_auth_set_scope, &
      f7t_auth_set_audience, f7t_auth_set_resource, &
      f7t_auth_set_client_auth, f7t_auth_set_token_store, &
      f7t_auth_set_shared_cache_dir, f7t_auth_set_device_prompt, &
      f7t_auth_cancel, f7t_auth_get_access_token, f7t_auth_get_header, &
      f7t_auth_invalidate, f7t_token_claim, f7t_wipe

  ! What f7t_auth_get_header's callback fills in.
  type :: header_result
    character(len=:), allocatable :: name
    character(len=:), allocatable :: value
    integer(c_int64_t) :: expires_at = 0
  end type header_result

  ! The C functions. Strings in are NUL-terminated char arrays; strings out
  ! are C pointers, converted by from_c_string.
  interface
    function c_strlen(text) bind(C, name='strlen') result(length)
      import :: c_ptr, c_size_t
      type(c_ptr), value :: text
      integer(c_size_t) :: length
    end function c_strlen

    function c_f7t_version() bind(C, name='f7t_version') result(text)
      import :: c_ptr
      type(c_ptr) :: text
    end function c_f7t_version

    function c_f7t_status_str(status) bind(C, name='f7t_status_str') &
        result(text)
      import :: c_int32_t, c_ptr
      integer(c_int32_t), value :: status
      type(c_ptr) :: text
    end function c_f7t_status_str

    function c_f7t_last_error_message() &
        bind(C, name='f7t_last_error_message') result(text)
      import :: c_ptr
      type(c_ptr) :: text
    end function c_f7t_last_error_message

    function c_f7t_last_error_status() &
        bind(C, name='f7t_last_error_status') result(status)
      import :: c_int32_t
      integer(c_int32_t) :: status
    end function c_f7t_last_error_status

    function c_f7t_set_log_callback(callback, userdata, level) &
        bind(C, name='f7t_set_log_callback') result(status)
      import :: c_funptr, c_int32_t, c_ptr
      type(c_funptr), value :: callback
      type(c_ptr), value :: userdata
      integer(c_int32_t), value :: level
      integer(c_int32_t) :: status
    end function c_f7t_set_log_callback

    function c_f7t_auth_static_token_new(token, expires_at, out) &
        bind(C, name='f7t_auth_static_token_new') result(status)
      import :: c_char, c_int32_t, c_int64_t, c_ptr
      character(kind=c_char), dimension(*), intent(in) :: token
      integer(c_int64_t), value :: expires_at
      type(c_ptr), intent(inout) :: out
      integer(c_int32_t) :: status
    end function c_f7t_auth_static_token_new

    function c_f7t_auth_api_key_new(header_name, api_key, out) &
        bind(C, name='f7t_auth_api_key_new') result(status)
      import :: c_char, c_int32_t, c_ptr
      character(kind=c_char), dimension(*), intent(in) :: header_name
      character(kind=c_char), dimension(*), intent(in) :: api_key
      type(c_ptr), intent(inout) :: out
      integer(c_int32_t) :: status
    end function c_f7t_auth_api_key_new

    function c_f7t_auth_client_credentials_new(token_endpoint, client_id, &
        client_secret, out) &
        bind(C, name='f7t_auth_client_credentials_new') result(status)
      import :: c_char, c_int32_t, c_ptr
      character(kind=c_char), dimension(*), intent(in) :: token_endpoint
      character(kind=c_char), dimension(*), intent(in) :: client_id
      character(kind=c_char), dimension(*), intent(in) :: client_secret
      type(c_ptr), intent(inout) :: out
      integer(c_int32_t) :: status
    end function c_f7t_auth_client_credentials_new

    function c_f7t_auth_client_credentials_from_issuer_new(issuer, &
        client_id, client_secret, out) &
        bind(C, name='f7t_auth_client_credentials_from_issuer_new') &
        result(status)
      import :: c_char, c_int32_t, c_ptr
      character(kind=c_char), dimension(*), intent(in) :: issuer
      character(kind=c_char), dimension(*), intent(in) :: client_id
      character(kind=c_char), dimension(*), intent(in) :: client_secret
      type(c_ptr), intent(inout) :: out
      integer(c_int32_t) :: status
    end function c_f7t_auth_client_credentials_from_issuer_new

    function c_f7t_auth_callback_new(provider, userdata, free_userdata, &
        out) bind(C, name='f7t_auth_callback_new') result(status)
      import :: c_funptr, c_int32_t, c_ptr
      type(c_funptr), value :: provider
      type(c_ptr), value :: userdata
      type(c_funptr), value :: free_userdata
      type(c_ptr), intent(inout) :: out
      integer(c_int32_t) :: status
    end function c_f7t_auth_callback_new

    function c_f7t_token_sink_set_token(sink, token, expires_in) &
        bind(C, name='f7t_token_sink_set_token') result(status)
      import :: c_char, c_int32_t, c_int64_t, c_ptr
      type(c_ptr), value :: sink
      character(kind=c_char), dimension(*), intent(in) :: token
      integer(c_int64_t), value :: expires_in
      integer(c_int32_t) :: status
    end function c_f7t_token_sink_set_token

    function c_f7t_token_sink_set_error(sink, message) &
        bind(C, name='f7t_token_sink_set_error') result(status)
      import :: c_char, c_int32_t, c_ptr
      type(c_ptr), value :: sink
      character(kind=c_char), dimension(*), intent(in) :: message
      integer(c_int32_t) :: status
    end function c_f7t_token_sink_set_error

    function c_f7t_auth_from_env(out) bind(C, name='f7t_auth_from_env') &
        result(status)
      import :: c_int32_t, c_ptr
      type(c_ptr), intent(inout) :: out
      integer(c_int32_t) :: status
    end function c_f7t_auth_from_env

    function c_f7t_auth_device_code_new(device_authorization_endpoint, &
        token_endpoint, client_id, client_secret, out) &
        bind(C, name='f7t_auth_device_code_new') result(status)
      import :: c_char, c_int32_t, c_ptr
      character(kind=c_char), dimension(*), intent(in) :: &
          device_authorization_endpoint
      character(kind=c_char), dimension(*), intent(in) :: token_endpoint
      character(kind=c_char), dimension(*), intent(in) :: client_id
      character(kind=c_char), dimension(*), intent(in) :: client_secret
      type(c_ptr), intent(inout) :: out
      integer(c_int32_t) :: status
    end function c_f7t_auth_device_code_new

    function c_f7t_auth_device_code_from_issuer_new(issuer, client_id, &
        client_secret, out) &
        bind(C, name='f7t_auth_device_code_from_issuer_new') result(status)
      import :: c_char, c_int32_t, c_ptr
      character(kind=c_char), dimension(*), intent(in) :: issuer
      character(kind=c_char), dimension(*), intent(in) :: client_id
      character(kind=c_char), dimension(*), intent(in) :: client_secret
      type(c_ptr), intent(inout) :: out
      integer(c_int32_t) :: status
    end function c_f7t_auth_device_code_from_issuer_new

    function c_f7t_auth_refresh_token_new(token_endpoint, client_id, &
        client_secret, refresh_token, out) &
        bind(C, name='f7t_auth_refresh_token_new') result(status)
      import :: c_char, c_int32_t, c_ptr
      character(kind=c_char), dimension(*), intent(in) :: token_endpoint
      character(kind=c_char), dimension(*), intent(in) :: client_id
      character(kind=c_char), dimension(*), intent(in) :: client_secret
      character(kind=c_char), dimension(*), intent(in) :: refresh_token
      type(c_ptr), intent(inout) :: out
      integer(c_int32_t) :: status
    end function c_f7t_auth_refresh_token_new

    function c_f7t_auth_refresh_token_from_issuer_new(issuer, client_id, &
        client_secret, refresh_token, out) &
        bind(C, name='f7t_auth_refresh_token_from_issuer_new') result(status)
      import :: c_char, c_int32_t, c_ptr
      character(kind=c_char), dimension(*), intent(in) :: issuer
      character(kind=c_char), dimension(*), intent(in) :: client_id
      character(kind=c_char), dimension(*), intent(in) :: client_secret
      character(kind=c_char), dimension(*), intent(in) :: refresh_token
      type(c_ptr), intent(inout) :: out
      integer(c_int32_t) :: status
    end function c_f7t_auth_refresh_token_from_issuer_new

    function c_f7t_auth_token_command_new(command, lifetime_seconds, out) &
        bind(C, name='f7t_auth_token_command_new') result(status)
      import :: c_char, c_int32_t, c_int64_t, c_ptr
      character(kind=c_char), dimension(*), intent(in) :: command
      integer(c_int64_t), value :: lifetime_seconds
      type(c_ptr), intent(inout) :: out
      integer(c_int32_t) :: status
    end function c_f7t_auth_token_command_new

    subroutine c_f7t_auth_free(auth) bind(C, name='f7t_auth_free')
      import :: c_ptr
      type(c_ptr), value :: auth
    end subroutine c_f7t_auth_free

    function c_f7t_auth_set_min_validity(auth, seconds) &
        bind(C, name='f7t_auth_set_min_validity') result(status)
      import :: c_int32_t, c_ptr
      type(c_ptr), value :: auth
      integer(c_int32_t), value :: seconds
      integer(c_int32_t) :: status
    end function c_f7t_auth_set_min_validity

    function c_f7t_auth_set_timeouts(auth, connect_ms, total_ms) &
        bind(C, name='f7t_auth_set_timeouts') result(status)
      import :: c_int32_t, c_ptr
      type(c_ptr), value :: auth
      integer(c_int32_t), value :: connect_ms
      integer(c_int32_t), value :: total_ms
      integer(c_int32_t) :: status
    end function c_f7t_auth_set_timeouts

    function c_f7t_auth_set_max_retries(auth, retries) &
        bind(C, name='f7t_auth_set_max_retries') result(status)
      import :: c_int32_t, c_ptr
      type(c_ptr), value :: auth
      integer(c_int32_t), value :: retries
      integer(c_int32_t) :: status
    end function c_f7t_auth_set_max_retries

    function c_f7t_auth_set_allow_insecure_http(auth, allow) &
        bind(C, name='f7t_auth_set_allow_insecure_http') result(status)
      import :: c_int32_t, c_ptr
      type(c_ptr), value :: auth
      integer(c_int32_t), value :: allow
      integer(c_int32_t) :: status
    end function c_f7t_auth_set_allow_insecure_http

    function c_f7t_auth_set_client_auth(auth, method) &
        bind(C, name='f7t_auth_set_client_auth') result(status)
      import :: c_int32_t, c_ptr
      type(c_ptr), value :: auth
      integer(c_int32_t), value :: method
      integer(c_int32_t) :: status
    end function c_f7t_auth_set_client_auth

    function c_f7t_auth_set_device_prompt(auth, prompt, userdata, &
        free_userdata) bind(C, name='f7t_auth_set_device_prompt') &
        result(status)
      import :: c_funptr, c_int32_t, c_ptr
      type(c_ptr), value :: auth
      type(c_funptr), value :: prompt
      type(c_ptr), value :: userdata
      type(c_funptr), value :: free_userdata
      integer(c_int32_t) :: status
    end function c_f7t_auth_set_device_prompt

    function c_f7t_auth_cancel(auth) bind(C, name='f7t_auth_cancel') &
        result(status)
      import :: c_int32_t, c_ptr
      type(c_ptr), value :: auth
      integer(c_int32_t) :: status
    end function c_f7t_auth_cancel

    function c_f7t_auth_copy_access_token(auth, buffer, buffer_len, &
        token_len_out, expires_at_out) &
        bind(C, name='f7t_auth_copy_access_token') result(status)
      import :: c_int32_t, c_int64_t, c_ptr
      type(c_ptr), value :: auth
      type(c_ptr), value :: buffer
      integer(c_int64_t), value :: buffer_len
      integer(c_int64_t), intent(inout) :: token_len_out
      integer(c_int64_t), intent(inout) :: expires_at_out
      integer(c_int32_t) :: status
    end function c_f7t_auth_copy_access_token

    function c_f7t_auth_get_header(auth, callback, userdata) &
        bind(C, name='f7t_auth_get_header') result(status)
      import :: c_funptr, c_int32_t, c_ptr
      type(c_ptr), value :: auth
      type(c_funptr), value :: callback
      type(c_ptr), value :: userdata
      integer(c_int32_t) :: status
    end function c_f7t_auth_get_header

    ! rejected_token is a pointer so that "the current token" can be NULL.
    function c_f7t_auth_invalidate(auth, rejected_token) &
        bind(C, name='f7t_auth_invalidate') result(status)
      import :: c_int32_t, c_ptr
      type(c_ptr), value :: auth
      type(c_ptr), value :: rejected_token
      integer(c_int32_t) :: status
    end function c_f7t_auth_invalidate

    function c_f7t_token_claim(token, claim, buffer, buffer_len, len_out) &
        bind(C, name='f7t_token_claim') result(status)
      import :: c_char, c_int32_t, c_int64_t, c_ptr
      character(kind=c_char), dimension(*), intent(in) :: token
      character(kind=c_char), dimension(*), intent(in) :: claim
      type(c_ptr), value :: buffer
      integer(c_int64_t), value :: buffer_len
      integer(c_int64_t), intent(inout) :: len_out
      integer(c_int32_t) :: status
    end function c_f7t_token_claim
  end interface

  ! The setters that take one optional string.
  interface
    function c_f7t_auth_set_ca_file(auth, value) &
        bind(C, name='f7t_auth_set_ca_file') result(status)
      import :: c_char, c_int32_t, c_ptr
      type(c_ptr), value :: auth
      character(kind=c_char), dimension(*), intent(in) :: value
      integer(c_int32_t) :: status
    end function c_f7t_auth_set_ca_file

    function c_f7t_auth_set_user_agent_suffix(auth, value) &
        bind(C, name='f7t_auth_set_user_agent_suffix') result(status)
      import :: c_char, c_int32_t, c_ptr
      type(c_ptr), value :: auth
      character(kind=c_char), dimension(*), intent(in) :: value
      integer(c_int32_t) :: status
    end function c_f7t_auth_set_user_agent_suffix

    function c_f7t_auth_set_scope(auth, value) &
        bind(C, name='f7t_auth_set_scope') result(status)
      import :: c_char, c_int32_t, c_ptr
      type(c_ptr), value :: auth
      character(kind=c_char), dimension(*), intent(in) :: value
      integer(c_int32_t) :: status
    end function c_f7t_auth_set_scope

    function c_f7t_auth_set_audience(auth, value) &
        bind(C, name='f7t_auth_set_audience') result(status)
      import :: c_char, c_int32_t, c_ptr
      type(c_ptr), value :: auth
      character(kind=c_char), dimension(*), intent(in) :: value
      integer(c_int32_t) :: status
    end function c_f7t_auth_set_audience

    function c_f7t_auth_set_resource(auth, value) &
        bind(C, name='f7t_auth_set_resource') result(status)
      import :: c_char, c_int32_t, c_ptr
      type(c_ptr), value :: auth
      character(kind=c_char), dimension(*), intent(in) :: value
      integer(c_int32_t) :: status
    end function c_f7t_auth_set_resource

    function c_f7t_auth_set_token_store(auth, value) &
        bind(C, name='f7t_auth_set_token_store') result(status)
      import :: c_char, c_int32_t, c_ptr
      type(c_ptr), value :: auth
      character(kind=c_char), dimension(*), intent(in) :: value
      integer(c_int32_t) :: status
    end function c_f7t_auth_set_token_store

    function c_f7t_auth_set_shared_cache_dir(auth, value) &
        bind(C, name='f7t_auth_set_shared_cache_dir') result(status)
      import :: c_char, c_int32_t, c_ptr
      type(c_ptr), value :: auth
      character(kind=c_char), dimension(*), intent(in) :: value
      integer(c_int32_t) :: status
    end function c_f7t_auth_set_shared_cache_dir
  end interface

contains

  ! ---------------------------------------------------------------------
  ! Strings between Fortran and C.

  ! A Fortran string as C wants it: trailing blanks trimmed, NUL added.
  pure function c_string(text) result(c_text)
    character(len=*), intent(in) :: text
    character(kind=c_char, len=:), allocatable :: c_text

    c_text = trim(text) // c_null_char
  end function c_string

  ! Copies `length` bytes at a C pointer into a Fortran string.
  function from_c_chars(text, length) result(f_text)
    type(c_ptr), value :: text
    integer(c_size_t), intent(in) :: length
    character(len=:), allocatable :: f_text
    character(kind=c_char), dimension(:), pointer :: chars
    integer :: i

    allocate(character(len=length) :: f_text)
    if (length == 0) return
    call c_f_pointer(text, chars, [length])
    do i = 1, int(length)
      f_text(i:i) = chars(i)
    end do
  end function from_c_chars

  ! Copies a NUL-terminated C string (NULL gives '') into a Fortran
  ! string.
  function from_c_string(text) result(f_text)
    type(c_ptr), value :: text
    character(len=:), allocatable :: f_text

    if (.not. c_associated(text)) then
      f_text = ''
    else
      f_text = from_c_chars(text, c_strlen(text))
    end if
  end function from_c_string

  ! Overwrites a string that held a credential (a token, a secret) with
  ! blanks. VOLATILE keeps the compiler from skipping stores to a variable
  ! that is about to be deallocated.
  subroutine f7t_wipe(text)
    character(len=*), intent(inout), volatile :: text
    integer :: i

    do i = 1, len(text)
      text(i:i) = ' '
    end do
  end subroutine f7t_wipe

  subroutine wipe_chars(chars)
    character(kind=c_char), dimension(:), intent(inout), volatile :: chars

    chars = ' '
  end subroutine wipe_chars

  ! ---------------------------------------------------------------------
  ! Library-wide.

  ! The library version, 'MAJOR.MINOR.PATCH' (F7T_VERSION in C).
  function f7t_version() result(version)
    character(len=:), allocatable :: version

    version = from_c_string(c_f7t_version())
  end function f7t_version

  ! The static one-line description of a status.
  function f7t_status_str(status) result(text)
    integer(c_int32_t), intent(in) :: status
    character(len=:), allocatable :: text

    text = from_c_string(c_f7t_status_str(status))
  end function f7t_status_str

  ! The detail of the last failure on the calling thread: what failed, the
  ! endpoint, the HTTP status, the server's error and error_description,
  ! what to check. 'no error' before any failure; a success keeps it.
  function f7t_last_error_message() result(text)
    character(len=:), allocatable :: text

    text = from_c_string(c_f7t_last_error_message())
  end function f7t_last_error_message

  ! The status of the last failure on the calling thread.
  function f7t_last_error_status() result(status)
    integer(c_int32_t) :: status

    status = c_f7t_last_error_status()
  end function f7t_last_error_status

  ! Sends log lines up to `level` to `callback`, a bind(C) subroutine
  ! (userdata, level, message) with type(c_ptr), value arguments but for
  ! level, integer(c_int32_t), value; c_null_funptr stops that. It may run
  ! on the library's own thread.
  function f7t_set_log_callback(callback, userdata, level) result(status)
    type(c_funptr), value :: callback
    type(c_ptr), value :: userdata
    integer(c_int32_t), intent(in) :: level
    integer(c_int32_t) :: status

    status = c_f7t_set_log_callback(callback, userdata, level)
  end function f7t_set_log_callback

  ! ---------------------------------------------------------------------
  ! Constructors. `auth` is written only on success.

  function f7t_auth_static_token_new(token, expires_at, auth) result(status)
    character(len=*), intent(in) :: token
    integer(c_int64_t), intent(in) :: expires_at
    type(f7t_auth), intent(inout) :: auth
    integer(c_int32_t) :: status

    status = c_f7t_auth_static_token_new(c_string(token), expires_at, &
        auth%handle)
  end function f7t_auth_static_token_new

  ! header_name '' means X-API-Key.
  function f7t_auth_api_key_new(header_name, api_key, auth) result(status)
    character(len=*), intent(in) :: header_name
    character(len=*), intent(in) :: api_key
    type(f7t_auth), intent(inout) :: auth
    integer(c_int32_t) :: status

    status = c_f7t_auth_api_key_new(c_string(header_name), &
        c_string(api_key), auth%handle)
  end function f7t_auth_api_key_new

  function f7t_auth_client_credentials_new(token_endpoint, client_id, &
      client_secret, auth) result(status)
    character(len=*), intent(in) :: token_endpoint
    character(len=*), intent(in) :: client_id
    character(len=*), intent(in) :: client_secret
    type(f7t_auth), intent(inout) :: auth
    integer(c_int32_t) :: status

    status = c_f7t_auth_client_credentials_new(c_string(token_endpoint), &
        c_string(client_id), c_string(client_secret), auth%handle)
  end function f7t_auth_client_credentials_new

  function f7t_auth_client_credentials_from_issuer_new(issuer, client_id, &
      client_secret, auth) result(status)
    character(len=*), intent(in) :: issuer
    character(len=*), intent(in) :: client_id
    character(len=*), intent(in) :: client_secret
    type(f7t_auth), intent(inout) :: auth
    integer(c_int32_t) :: status

    status = c_f7t_auth_client_credentials_from_issuer_new( &
        c_string(issuer), c_string(client_id), c_string(client_secret), &
        auth%handle)
  end function f7t_auth_client_credentials_from_issuer_new

  ! `provider` is c_funloc of your bind(C) function
  !   integer(c_int32_t) function provider(userdata, sink) bind(C)
  !     type(c_ptr), value :: userdata, sink
  ! which calls f7t_token_sink_set_token(sink, token, expires_in) and
  ! returns 0, or returns non-zero after f7t_token_sink_set_error.
  ! `free_userdata` (c_null_funptr for none) gets `userdata` back when the
  ! handle is freed.
  function f7t_auth_callback_new(provider, userdata, free_userdata, auth) &
      result(status)
    type(c_funptr), value :: provider
    type(c_ptr), value :: userdata
    type(c_funptr), value :: free_userdata
    type(f7t_auth), intent(inout) :: auth
    integer(c_int32_t) :: status

    status = c_f7t_auth_callback_new(provider, userdata, free_userdata, &
        auth%handle)
  end function f7t_auth_callback_new

  ! From inside a provider: the token and its lifetime in seconds from now
  ! (0: read the JWT exp claim, or assume 300 s).
  function f7t_token_sink_set_token(sink, token, expires_in) result(status)
    type(c_ptr), value :: sink
    character(len=*), intent(in) :: token
    integer(c_int64_t), intent(in) :: expires_in
    integer(c_int32_t) :: status

    status = c_f7t_token_sink_set_token(sink, c_string(token), expires_in)
  end function f7t_token_sink_set_token

  ! From inside a failing provider: the reason (no secrets in it).
  function f7t_token_sink_set_error(sink, message) result(status)
    type(c_ptr), value :: sink
    character(len=*), intent(in) :: message
    integer(c_int32_t) :: status

    status = c_f7t_token_sink_set_error(sink, c_string(message))
  end function f7t_token_sink_set_error

  ! FIRECREST_CLIENT_ID, FIRECREST_CLIENT_SECRET and AUTH_TOKEN_URL, or
  ! FIRECREST_TOKEN_COMMAND, or FIRECREST_API_KEY.
  function f7t_auth_from_env(auth) result(status)
    type(f7t_auth), intent(inout) :: auth
    integer(c_int32_t) :: status

    status = c_f7t_auth_from_env(auth%handle)
  end function f7t_auth_from_env

  ! client_secret '' for a public client.
  function f7t_auth_device_code_new(device_authorization_endpoint, &
      token_endpoint, client_id, client_secret, auth) result(status)
    character(len=*), intent(in) :: device_authorization_endpoint
    character(len=*), intent(in) :: token_endpoint
    character(len=*), intent(in) :: client_id
    character(len=*), intent(in) :: client_secret
    type(f7t_auth), intent(inout) :: auth
    integer(c_int32_t) :: status

    status = c_f7t_auth_device_code_new( &
        c_string(device_authorization_endpoint), c_string(token_endpoint), &
        c_string(client_id), c_string(client_secret), auth%handle)
  end function f7t_auth_device_code_new

  function f7t_auth_device_code_from_issuer_new(issuer, client_id, &
      client_secret, auth) result(status)
    character(len=*), intent(in) :: issuer
    character(len=*), intent(in) :: client_id
    character(len=*), intent(in) :: client_secret
    type(f7t_auth), intent(inout) :: auth
    integer(c_int32_t) :: status

    status = c_f7t_auth_device_code_from_issuer_new(c_string(issuer), &
        c_string(client_id), c_string(client_secret), auth%handle)
  end function f7t_auth_device_code_from_issuer_new

  ! client_secret '' for a public client.
  function f7t_auth_refresh_token_new(token_endpoint, client_id, &
      client_secret, refresh_token, auth) result(status)
    character(len=*), intent(in) :: token_endpoint
    character(len=*), intent(in) :: client_id
    character(len=*), intent(in) :: client_secret
    character(len=*), intent(in) :: refresh_token
    type(f7t_auth), intent(inout) :: auth
    integer(c_int32_t) :: status

    status = c_f7t_auth_refresh_token_new(c_string(token_endpoint), &
        c_string(client_id), c_string(client_secret), &
        c_string(refresh_token), auth%handle)
  end function f7t_auth_refresh_token_new

  function f7t_auth_refresh_token_from_issuer_new(issuer, client_id, &
      client_secret, refresh_token, auth) result(status)
    character(len=*), intent(in) :: issuer
    character(len=*), intent(in) :: client_id
    character(len=*), intent(in) :: client_secret
    character(len=*), intent(in) :: refresh_token
    type(f7t_auth), intent(inout) :: auth
    integer(c_int32_t) :: status

    status = c_f7t_auth_refresh_token_from_issuer_new(c_string(issuer), &
        c_string(client_id), c_string(client_secret), &
        c_string(refresh_token), auth%handle)
  end function f7t_auth_refresh_token_from_issuer_new

  ! lifetime_seconds 0: until the JWT exp (300 s for an opaque token).
  function f7t_auth_token_command_new(command, lifetime_seconds, auth) &
      result(status)
    character(len=*), intent(in) :: command
    integer(c_int64_t), intent(in) :: lifetime_seconds
    type(f7t_auth), intent(inout) :: auth
    integer(c_int32_t) :: status

    status = c_f7t_auth_token_command_new(c_string(command), &
        lifetime_seconds, auth%handle)
  end function f7t_auth_token_command_new

  ! Frees the handle (a null one is ignored) and nulls it.
  subroutine f7t_auth_free(auth)
    type(f7t_auth), intent(inout) :: auth

    call c_f7t_auth_free(auth%handle)
    auth%handle = c_null_ptr
  end subroutine f7t_auth_free

  ! Whether `auth` holds a handle.
  function f7t_auth_associated(auth) result(associated)
    type(f7t_auth), intent(in) :: auth
    logical :: associated

    associated = c_associated(auth%handle)
  end function f7t_auth_associated

  ! ---------------------------------------------------------------------
  ! Settings, one per C setter; an optional string '' means "not set".

  function f7t_auth_set_min_validity(auth, seconds) result(status)
    type(f7t_auth), intent(in) :: auth
    integer(c_int32_t), intent(in) :: seconds
    integer(c_int32_t) :: status

    status = c_f7t_auth_set_min_validity(auth%handle, seconds)
  end function f7t_auth_set_min_validity

  function f7t_auth_set_timeouts(auth, connect_ms, total_ms) result(status)
    type(f7t_auth), intent(in) :: auth
    integer(c_int32_t), intent(in) :: connect_ms
    integer(c_int32_t), intent(in) :: total_ms
    integer(c_int32_t) :: status

    status = c_f7t_auth_set_timeouts(auth%handle, connect_ms, total_ms)
  end function f7t_auth_set_timeouts

  function f7t_auth_set_max_retries(auth, retries) result(status)
    type(f7t_auth), intent(in) :: auth
    integer(c_int32_t), intent(in) :: retries
    integer(c_int32_t) :: status

    status = c_f7t_auth_set_max_retries(auth%handle, retries)
  end function f7t_auth_set_max_retries

  function f7t_auth_set_ca_file(auth, path) result(status)
    type(f7t_auth), intent(in) :: auth
    character(len=*), intent(in) :: path
    integer(c_int32_t) :: status

    status = c_f7t_auth_set_ca_file(auth%handle, c_string(path))
  end function f7t_auth_set_ca_file

  function f7t_auth_set_allow_insecure_http(auth, allow) result(status)
    type(f7t_auth), intent(in) :: auth
    logical, intent(in) :: allow
    integer(c_int32_t) :: status

    status = c_f7t_auth_set_allow_insecure_http(auth%handle, &
        merge(1_c_int32_t, 0_c_int32_t, allow))
  end function f7t_auth_set_allow_insecure_http

  function f7t_auth_set_user_agent_suffix(auth, suffix) result(status)
    type(f7t_auth), intent(in) :: auth
    character(len=*), intent(in) :: suffix
    integer(c_int32_t) :: status

    status = c_f7t_auth_set_user_agent_suffix(auth%handle, c_string(suffix))
  end function f7t_auth_set_user_agent_suffix

  function f7t_auth_set_scope(auth, scope) result(status)
    type(f7t_auth), intent(in) :: auth
    character(len=*), intent(in) :: scope
    integer(c_int32_t) :: status

    status = c_f7t_auth_set_scope(auth%handle, c_string(scope))
  end function f7t_auth_set_scope

  function f7t_auth_set_audience(auth, audience) result(status)
    type(f7t_auth), intent(in) :: auth
    character(len=*), intent(in) :: audience
    integer(c_int32_t) :: status

    status = c_f7t_auth_set_audience(auth%handle, c_string(audience))
  end function f7t_auth_set_audience

  function f7t_auth_set_resource(auth, resource) result(status)
    type(f7t_auth), intent(in) :: auth
    character(len=*), intent(in) :: resource
    integer(c_int32_t) :: status

    status = c_f7t_auth_set_resource(auth%handle, c_string(resource))
  end function f7t_auth_set_resource

  ! F7T_CLIENT_AUTH_POST (default) or F7T_CLIENT_AUTH_BASIC.
  function f7t_auth_set_client_auth(auth, method) result(status)
    type(f7t_auth), intent(in) :: auth
    integer(c_int32_t), intent(in) :: method
    integer(c_int32_t) :: status

    status = c_f7t_auth_set_client_auth(auth%handle, method)
  end function f7t_auth_set_client_auth

  function f7t_auth_set_token_store(auth, path) result(status)
    type(f7t_auth), intent(in) :: auth
    character(len=*), intent(in) :: path
    integer(c_int32_t) :: status

    status = c_f7t_auth_set_token_store(auth%handle, c_string(path))
  end function f7t_auth_set_token_store

  function f7t_auth_set_shared_cache_dir(auth, dir) result(status)
    type(f7t_auth), intent(in) :: auth
    character(len=*), intent(in) :: dir
    integer(c_int32_t) :: status

    status = c_f7t_auth_set_shared_cache_dir(auth%handle, c_string(dir))
  end function f7t_auth_set_shared_cache_dir

  ! `prompt` is c_funloc of a bind(C) function (userdata,
  ! verification_uri, verification_uri_complete, user_code, expires_in)
  ! returning integer(c_int32_t): 0 to go on waiting, non-zero to cancel;
  ! c_null_funptr goes back to the stderr prompt.
  function f7t_auth_set_device_prompt(auth, prompt, userdata, &
      free_userdata) result(status)
    type(f7t_auth), intent(in) :: auth
    type(c_funptr), value :: prompt
    type(c_ptr), value :: userdata
    type(c_funptr), value :: free_userdata
    integer(c_int32_t) :: status

    status = c_f7t_auth_set_device_prompt(auth%handle, prompt, userdata, &
        free_userdata)
  end function f7t_auth_set_device_prompt

  function f7t_auth_cancel(auth) result(status)
    type(f7t_auth), intent(in) :: auth
    integer(c_int32_t) :: status

    status = c_f7t_auth_cancel(auth%handle)
  end function f7t_auth_cancel

  ! ---------------------------------------------------------------------
  ! Tokens.

  ! A valid access token, allocated to its exact length, and its expiry in
  ! Unix seconds (0 when unknown). `token` is allocated only on success.
  ! The C side first reports the length, then copies; should the token be
  ! renewed in between and grow, the copy is simply asked for again.
  function f7t_auth_get_access_token(auth, token, expires_at) result(status)
    type(f7t_auth), intent(in) :: auth
    character(len=:), allocatable, intent(out) :: token
    integer(c_int64_t), intent(out), optional :: expires_at
    integer(c_int32_t) :: status
    character(kind=c_char), dimension(:), allocatable, target :: buffer
    integer(c_int64_t) :: length, expiry
    integer :: attempt

    length = 0
    expiry = 0
    status = c_f7t_auth_copy_access_token(auth%handle, c_null_ptr, &
        0_c_int64_t, length, expiry)
    do attempt = 1, 3
      if (status /= F7T_STATUS_BUFFER_TOO_SMALL) exit
      allocate(buffer(length + 1))
      status = c_f7t_auth_copy_access_token(auth%handle, c_loc(buffer), &
          size(buffer, kind=c_int64_t), length, expiry)
      if (status == F7T_STATUS_OK) &
          token = from_c_chars(c_loc(buffer), int(length, c_size_t))
      call wipe_chars(buffer)
      deallocate(buffer)
    end do
    if (status == F7T_STATUS_OK .and. present(expires_at)) &
        expires_at = expiry
  end function f7t_auth_get_access_token

  subroutine receive_header(userdata, name, value, expires_at) bind(C)
    type(c_ptr), value :: userdata
    type(c_ptr), value :: name
    type(c_ptr), value :: value
    integer(c_int64_t), value :: expires_at
    type(header_result), pointer :: received

    call c_f_pointer(userdata, received)
    received%name = from_c_string(name)
    received%value = from_c_string(value)
    received%expires_at = expires_at
  end subroutine receive_header

  ! The header to send with an API request: 'Authorization' and
  ! 'Bearer <token>', or an API key's header and the key. `name` and
  ! `value` are allocated only on success.
  function f7t_auth_get_header(auth, name, value, expires_at) result(status)
    type(f7t_auth), intent(in) :: auth
    character(len=:), allocatable, intent(out) :: name
    character(len=:), allocatable, intent(out) :: value
    integer(c_int64_t), intent(out), optional :: expires_at
    integer(c_int32_t) :: status
    type(header_result), target :: received

    status = c_f7t_auth_get_header(auth%handle, c_funloc(receive_header), &
        c_loc(received))
    if (status /= F7T_STATUS_OK) return
    call move_alloc(received%name, name)
    call move_alloc(received%value, value)
    if (present(expires_at)) expires_at = received%expires_at
  end function f7t_auth_get_header

  ! After the API answered 401. Pass the token it rejected, so that many
  ! callers reporting the same token cause one fetch; without it, the
  ! current token is dropped.
  function f7t_auth_invalidate(auth, rejected_token) result(status)
    type(f7t_auth), intent(in) :: auth
    character(len=*), intent(in), optional :: rejected_token
    integer(c_int32_t) :: status
    character(kind=c_char), dimension(:), allocatable, target :: c_token
    integer :: i, length

    if (.not. present(rejected_token)) then
      status = c_f7t_auth_invalidate(auth%handle, c_null_ptr)
      return
    end if
    length = len_trim(rejected_token)
    allocate(c_token(length + 1))
    do i = 1, length
      c_token(i) = rejected_token(i:i)
    end do
    c_token(length + 1) = c_null_char
    status = c_f7t_auth_invalidate(auth%handle, c_loc(c_token))
    call wipe_chars(c_token)
  end function f7t_auth_invalidate

  ! One claim of a JWT, read without verifying it (strings as they are,
  ! other values as JSON text). F7T_STATUS_NOT_A_JWT for an opaque token,
  ! F7T_STATUS_NOT_FOUND when the claim is absent; `value` is allocated
  ! only on success.
  function f7t_token_claim(token, claim, value) result(status)
    character(len=*), intent(in) :: token
    character(len=*), intent(in) :: claim
    character(len=:), allocatable, intent(out) :: value
    integer(c_int32_t) :: status
    character(kind=c_char), dimension(:), allocatable, target :: buffer
    integer(c_int64_t) :: length

    length = 255
    do
      allocate(buffer(length + 1))
      status = c_f7t_token_claim(c_string(token), c_string(claim), &
          c_loc(buffer), size(buffer, kind=c_int64_t), length)
      if (status == F7T_STATUS_OK) &
          value = from_c_chars(c_loc(buffer), int(length, c_size_t))
      deallocate(buffer)
      if (status /= F7T_STATUS_BUFFER_TOO_SMALL) exit
    end do
  end function f7t_token_claim

end module firecrest_auth
