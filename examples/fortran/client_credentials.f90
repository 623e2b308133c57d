! fortran_client_credentials: a Fortran program gets an access token for a
! service account through the firecrest_auth module.
!
!   fortran_client_credentials    (reads AUTH_TOKEN_URL, FIRECREST_CLIENT_ID,
!                                  FIRECREST_CLIENT_SECRET, optional
!                                  F7T_RESOURCE)
!
! It gets the token twice (the second time from the cache), builds the
! Authorization header, shows the audience of a JWT, then shows how a
! failure reads: a wrong secret gives F7T_STATUS_INVALID_CLIENT and the
! server's explanation. A token provider written in Fortran shows the
! callback handle. The program prints token lengths and expiry times,
! never a token.

! Token providers in Fortran: the library calls them, through c_funloc,
! when their handle needs a token. Their state (here a call counter) lives
! behind the userdata pointer, as c_loc of a variable with TARGET.
module example_providers
  use, intrinsic :: iso_c_binding, only: c_f_pointer, c_int32_t, &
      c_int64_t, c_ptr
  use firecrest_auth, only: F7T_STATUS_OK, f7t_token_sink_set_error, &
      f7t_token_sink_set_token
  implicit none
  private
  public :: provide_token, refuse_token

contains

  function provide_token(userdata, sink) bind(C) result(failed)
    type(c_ptr), value :: userdata
    type(c_ptr), value :: sink
    integer(c_int32_t) :: failed
    integer, pointer :: calls

    call c_f_pointer(userdata, calls)
    calls = calls + 1
    failed = 0
    if (f7t_token_sink_set_token(sink, 'token-made-in-fortran', &
        60_c_int64_t) /= F7T_STATUS_OK) failed = 1
  end function provide_token

  function refuse_token(userdata, sink) bind(C) result(failed)
    type(c_ptr), value :: userdata
    type(c_ptr), value :: sink
    integer(c_int32_t) :: failed
    integer, pointer :: calls

    call c_f_pointer(userdata, calls)
    calls = calls + 1
    failed = 1
    if (f7t_token_sink_set_error(sink, 'the token broker is not running') &
        /= F7T_STATUS_OK) failed = 2
  end function refuse_token

end module example_providers

program client_credentials
  use, intrinsic :: iso_c_binding, only: c_funloc, c_int32_t, c_int64_t, &
      c_loc, c_long, c_null_funptr, c_null_ptr, c_ptr
  use, intrinsic :: iso_fortran_env, only: error_unit
  use firecrest_auth
  use example_providers, only: provide_token, refuse_token
  implicit none

  interface
    ! The C library's time(); time_t is a long on the Linux systems this
    ! example runs on.
    function c_time(tloc) bind(C, name='time') result(now)
      import :: c_long, c_ptr
      type(c_ptr), value :: tloc
      integer(c_long) :: now
    end function c_time
  end interface

  type(f7t_auth) :: auth
  character(len=:), allocatable :: token, again, name, value, audience
  integer(c_int64_t) :: expires_at
  integer(c_int32_t) :: status

  print '(2a)', 'firecrest-auth ', f7t_version()

  status = f7t_auth_from_env(auth)
  call check(status, 'f7t_auth_from_env')
  if (len(environment('F7T_RESOURCE')) > 0) then
    status = f7t_auth_set_resource(auth, environment('F7T_RESOURCE'))
    call check(status, 'f7t_auth_set_resource')
  end if

  status = f7t_auth_get_access_token(auth, token, expires_at)
  call check(status, 'f7t_auth_get_access_token')
  print '(a, i0, a, i0, a, i0, a)', 'got a ', len(token), &
      '-byte token, expires at ', expires_at, ' (in ', &
      expires_at - c_time(c_null_ptr), ' s)'

  ! The handle cached the token: the second call makes no request.
  status = f7t_auth_get_access_token(auth, again)
  call check(status, 'f7t_auth_get_access_token (again)')
  if (again /= token) call fail('the second token did not come from the cache')
  print '(a)', 'the second call returned the cached token'

  status = f7t_auth_get_header(auth, name, value)
  call check(status, 'f7t_auth_get_header')
  if (name /= 'Authorization' .or. value /= 'Bearer ' // token) &
      call fail('the header is not Authorization: Bearer <token>')
  print '(3a, i0, a)', 'header: ', name, ': Bearer <', len(token), ' bytes>'

  status = f7t_token_claim(token, 'aud', audience)
  if (status == F7T_STATUS_OK) then
    print '(2a)', 'audience: ', audience
  else if (status == F7T_STATUS_NOT_A_JWT) then
    print '(a)', 'an opaque token: no claims to show'
  else
    call check(status, 'f7t_token_claim')
  end if

  ! Variables of the main program are never deallocated automatically.
  call f7t_wipe(token)
  call f7t_wipe(again)
  call f7t_wipe(value)
  deallocate(token, again, name, value)
  if (allocated(audience)) deallocate(audience)
  call f7t_auth_free(auth)
  if (f7t_auth_associated(auth)) call fail('f7t_auth_free left the handle')

  call check_wrong_secret()
  call check_provider()

contains

  ! The value of an environment variable, '' when unset.
  function environment(variable) result(text)
    character(len=*), intent(in) :: variable
    character(len=:), allocatable :: text
    integer :: length, stat

    call get_environment_variable(variable, length=length, status=stat)
    if (stat /= 0) length = 0
    allocate(character(len=length) :: text)
    if (length > 0) call get_environment_variable(variable, value=text)
  end function environment

  subroutine check(status, what)
    integer(c_int32_t), intent(in) :: status
    character(len=*), intent(in) :: what

    if (status == F7T_STATUS_OK) return
    write (error_unit, '(4a, i0, a)') what, ' failed: ', &
        f7t_status_str(status), ' (status ', status, ')'
    write (error_unit, '(2a)') '  ', f7t_last_error_message()
    error stop 1
  end subroutine check

  subroutine fail(what)
    character(len=*), intent(in) :: what

    write (error_unit, '(2a)') 'fortran_client_credentials: ', what
    error stop 1
  end subroutine fail

  ! What a wrong secret looks like to a Fortran program.
  subroutine check_wrong_secret()
    type(f7t_auth) :: wrong
    character(len=:), allocatable :: token

    status = f7t_auth_client_credentials_new( &
        environment('AUTH_TOKEN_URL'), environment('FIRECREST_CLIENT_ID'), &
        'not-the-secret', wrong)
    call check(status, 'f7t_auth_client_credentials_new')
    status = f7t_auth_get_access_token(wrong, token)
    if (status /= F7T_STATUS_INVALID_CLIENT) &
        call fail('a wrong secret did not give F7T_STATUS_INVALID_CLIENT')
    if (allocated(token)) call fail('a failed call allocated the token')
    print '(a, i0, 2a)', 'a wrong secret gives status ', status, ': ', &
        f7t_status_str(status)
    print '(2a)', '  ', f7t_last_error_message()
    call f7t_auth_free(wrong)
  end subroutine check_wrong_secret

  ! Tokens from a Fortran function, cached by the library.
  subroutine check_provider()
    type(f7t_auth) :: provided, refused
    character(len=:), allocatable :: token
    integer, target :: provider_calls
    integer :: i

    provider_calls = 0
    status = f7t_auth_callback_new(c_funloc(provide_token), &
        c_loc(provider_calls), c_null_funptr, provided)
    call check(status, 'f7t_auth_callback_new')
    do i = 1, 3
      status = f7t_auth_get_access_token(provided, token)
      call check(status, 'f7t_auth_get_access_token (provider)')
    end do
    if (token /= 'token-made-in-fortran' .or. provider_calls /= 1) &
        call fail('the provider''s token was not cached')
    status = f7t_auth_invalidate(provided, token)
    call check(status, 'f7t_auth_invalidate')
    status = f7t_auth_get_access_token(provided, token)
    call check(status, 'f7t_auth_get_access_token (after invalidate)')
    if (provider_calls /= 2) &
        call fail('f7t_auth_invalidate did not call the provider again')
    print '(a, i0, a)', 'Fortran provider: 4 gets, ', provider_calls, &
        ' calls'
    call f7t_auth_free(provided)

    status = f7t_auth_callback_new(c_funloc(refuse_token), &
        c_loc(provider_calls), c_null_funptr, refused)
    call check(status, 'f7t_auth_callback_new')
    status = f7t_auth_get_access_token(refused, token)
    if (status /= F7T_STATUS_PROVIDER_FAILED .or. &
        index(f7t_last_error_message(), 'broker is not running') == 0) &
        call fail('a failing provider''s reason did not come through')
    print '(2a)', 'a failing provider gives: ', f7t_last_error_message()
    call f7t_auth_free(refused)
  end subroutine check_provider

end program client_credentials
